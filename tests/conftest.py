"""Shared test configuration: hypothesis profiles and the loud skips when Verilator or Chromium is missing."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
settings.register_profile("long", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TOOLS = {  # marker: (is it installed, what is missing)
    "rtl": (shutil.which("verilator") is not None and shutil.which("g++") is not None, "Verilator/g++"),
    "browser": (shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None, "Chromium"),
}


def pytest_collection_modifyitems(config, items):
    for marker, (installed, what) in TOOLS.items():
        if installed:
            continue
        if os.environ.get("CI"):
            raise pytest.UsageError(f"CI=true but {what} is missing: the {marker} tests must run in CI")
        skip = pytest.mark.skip(reason=f"{what} not installed: {marker} tests NOT RUN (install with `make install`)")
        n = 0
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)
                n += 1
        if n:
            print(f"\n*** WARNING: {n} {marker} tests skipped because {what} is not installed ***\n")
