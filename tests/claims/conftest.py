"""Fixtures of the claims ledger (helpers in lightning_fakes.py)."""

from __future__ import annotations

import logging
import os
import warnings

import pytest
import pytorch_lightning as pl


@pytest.fixture
def quiet(tmp_path, monkeypatch):
    """Run in a fresh folder (lightning_logs/ and checkpoints land there), warnings off."""
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield tmp_path


@pytest.fixture
def rank_zero_log(monkeypatch, caplog):
    """Lightning's rank-zero logger as a fresh process has it: the deck's display slide adds a
    filter to it, and the deck's blocks may have run earlier in this process."""
    log = logging.getLogger(pl.utilities.rank_zero.__name__)
    monkeypatch.setattr(log, "filters", [])
    caplog.set_level(logging.INFO)
    return log


@pytest.fixture(autouse=True)
def environment_as_it_was():
    """Lightning writes into os.environ (MASTER_ADDR from a faked SLURM job, PL_GLOBAL_SEED, ...), past
    monkeypatch: put it back, so no later test (the notebook's kernel) inherits a faked cluster."""
    before = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(before)
