"""Fuzzing campaigns: random programs in lockstep, coverage-guided, shrunk, resumable,
on local processes or Ray (`genesys fuzz`; docs/campaigns.md)."""

from .campaign import Campaign, Summary
from .store import CampaignError
from .target import Config

__all__ = ["Campaign", "CampaignError", "Config", "Summary"]
