"""Test-wide settings: keep the stand-in body cache inside pytest's temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SLAHMR_OPT_CACHE", str(tmp_path_factory.mktemp("slahmr_opt_cache")))
    yield
    mp.undo()
