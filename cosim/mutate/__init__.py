"""Mutation campaigns: how strong each checker is, measured with generated bugs
(`genesys mutate`, docs/campaigns.md)."""

from .campaign import STATUSES, CampaignError, CheckerBroken, Result, Summary, campaign
from .python_mutants import Mutant, mutants
from .targets import TARGETS, Target
from .text import summary_text

__all__ = ["STATUSES", "CampaignError", "CheckerBroken", "Result", "Summary", "campaign", "Mutant", "mutants", "TARGETS",
           "Target", "summary_text"]
