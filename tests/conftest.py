"""Shared test configuration: hypothesis profiles and the loud Verilator skip."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
settings.register_profile("long", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HAVE_VERILATOR = shutil.which("verilator") is not None and shutil.which("g++") is not None


def pytest_collection_modifyitems(config, items):
    if HAVE_VERILATOR:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI=true but Verilator or g++ is missing: RTL tests must run in CI")
    skip = pytest.mark.skip(reason="Verilator/g++ not installed: RTL tests NOT RUN (install with `make install`)")
    n = 0
    for item in items:
        if "rtl" in item.keywords:
            item.add_marker(skip)
            n += 1
    if n:
        print(f"\n*** WARNING: {n} RTL tests skipped because Verilator is not installed ***\n")
