"""One benchmark run, in a process that `python -m bench` forks for it (``child``).

ARM (``ARMS``) is the deck's plain loop or its ``LitModule`` under a ``pl.Trainer``, with the same model,
data, optimizer, seed and steps. How the arms of a round take turns, and what their clocks count: ``Baton``
and the README (Benchmark).
"""

from __future__ import annotations

import functools
import json
import os
import resource
import sys
import time
import traceback
import warnings

import pytorch_lightning as pl
import torch
from torch import nn
from torch.utils.data import Dataset, Subset, TensorDataset

from deck.paths import DATA, SNIPPETS

sys.path.insert(0, str(SNIPPETS))
from litdatamodule import LitDataModule  # noqa: E402  (the deck's own modules)
from litmodule import LitModule  # noqa: E402
from plain_loop import fit_plain  # noqa: E402

SEED, LR = 0, 2e-3  # the deck's LitModule default
# Every Trainer arm on the CPU, as the plain loop: on a GPU machine "auto" would train the Lightning
# arms elsewhere (other losses: "did not train the same model"), and on several GPUs start DDP.
DEVICE = {"accelerator": "cpu", "devices": 1}
FIVE_OFF = {"enable_progress_bar": False, "logger": False, "enable_checkpointing": False,
            "enable_model_summary": False, "num_sanity_val_steps": 0}  # Lightning's own parity setting
ARMS = {  # name -> (Trainer flags, or None for the plain loop; whether self.log does its work)
    "plain": (None, True),
    "lightning": ({}, True),  # the Trainer's defaults
    "no progress bar": ({"enable_progress_bar": False}, True),
    "bare": (FIVE_OFF, True),
    "bare, no self.log": (FIVE_OFF, False),
}
TURN_SECONDS = 0.25  # a turn ends at the first batch after this long (every batch of a slow step)
WARMUP_STEPS = 10  # steps left out of the steady time per step


class Baton:
    """This run's turn (only one arm of a round computes at a time, handing over at the first batch after
    TURN_SECONDS) and its clocks, which count only its own turns: wall time and CPU time. ``conn``: the
    multiprocessing connection to bench/__main__.py. Without it (the smoke test's runs in one process) it
    never waits: the clocks run throughout."""

    def __init__(self, conn=None):
        self.conn, self.spent, self.since = conn, (0.0, 0.0), (0.0, 0.0)

    def clock(self) -> tuple[float, float]:
        """Wall and CPU seconds of this run's turns so far."""
        now = time.perf_counter(), time.process_time()
        return tuple(spent + b - a for spent, a, b in zip(self.spent, self.since, now, strict=True))

    def wait(self, message: bytes) -> None:
        """Say `message` (b"R": ready, the model made; b"Y": yielding the turn), then wait for the next turn."""
        if self.conn is not None:
            self.conn.send_bytes(message)
            if self.conn.recv_bytes() != b"G":
                raise RuntimeError("the bench stopped this run")
        self.since = time.perf_counter(), time.process_time()

    def turn(self) -> None:
        """Hand the turn over, once this turn has lasted TURN_SECONDS, and wait for the next one."""
        if self.conn is not None and (now := self.clock())[0] - self.spent[0] >= TURN_SECONDS:
            self.spent = now
            self.wait(b"Y")


@functools.cache
def deck_split(preload: bool) -> tuple[Dataset, Dataset]:
    """The deck's prepare_data and setup("fit"), once per process (the smoke test runs every arm in one).
    ``preload``: the images normalised once, as the deck's transform does, into one tensor."""
    deck = LitDataModule(str(DATA))
    deck.prepare_data()
    deck.setup("fit")
    if not preload:
        return deck.train_set, deck.val_set
    full = deck.train_set.dataset
    images = TensorDataset(deck.transform.transforms[-1](full.data.float().unsqueeze(1) / 255), full.targets)
    return Subset(images, deck.train_set.indices), Subset(images, deck.val_set.indices)


class TimedData(LitDataModule):
    """The deck's data module (for the plain loop and the Trainer alike; the loaders stay the deck's
    DataLoaders): each batch they make is a turn, and each training batch notes the clock."""

    def __init__(self, preload: bool, batch_size: int, baton: Baton):
        super().__init__(str(DATA), batch_size)
        self.preload, self.baton, self.times = preload, baton, []

    def prepare_data(self):
        pass  # done by deck_split, in setup

    def setup(self, stage: str):
        self.train_set, self.val_set = deck_split(self.preload)

    def _turns(self, loader, times: list | None):
        collate, baton = loader.collate_fn, self.baton

        def turn(batch):
            if times is not None:
                times.append(baton.clock())
            baton.turn()
            return collate(batch)

        loader.collate_fn = turn
        return loader

    def train_dataloader(self):
        return self._turns(super().train_dataloader(), self.times)

    def val_dataloader(self):
        return self._turns(super().val_dataloader(), None)

    def ms_per_step(self, clock: int) -> float:
        """Steady time per step (clock 0: wall, 1: CPU): from batch WARMUP_STEPS (past the first
        steps' lazy set-up) to the last."""
        first = min(WARMUP_STEPS, len(self.times) - 2)
        return (self.times[-1][clock] - self.times[first][clock]) / (len(self.times) - 1 - first) * 1000


def run(arm: str, steps: int, model: str, batch_size: int, threads: int, root_dir: str,
        baton: Baton | None = None) -> dict:
    flags, log = ARMS[arm]
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(SEED)
    baton = baton or Baton()
    module, data, logged = LitModule(lr=LR), TimedData(model == "linear", batch_size, baton), {}
    if model == "linear":
        module.model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    if not log:  # self.log replaced by the least it must do: keep the value
        module.log = lambda name, value, **kwargs: logged.__setitem__(name, value)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    baton.wait(b"R")
    if flags is None:
        data.setup("fit")
        loss = fit_plain(module.model, data.train_dataloader(), steps, lr=LR)  # the deck's loop
        if steps >= len(data.train_dataloader()):  # a complete epoch: trainer.fit validates here
            module.model.eval()
            with torch.no_grad():
                sum((module.model(x).argmax(dim=1) == y).sum().item() for x, y in data.val_dataloader())
    else:
        trainer = pl.Trainer(max_steps=steps, default_root_dir=root_dir, **DEVICE, **flags)
        trainer.fit(module, data)
        metrics = logged or trainer.callback_metrics  # on_epoch=True: "train_loss" is the epoch's mean there
        loss = metrics.get("train_loss_step", metrics["train_loss"]).item()
    seconds, cpu_seconds = baton.clock()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    torch.set_num_threads(before)
    return {"seconds": seconds, "ms_per_step": data.ms_per_step(0), "cpu_seconds": cpu_seconds,
            "cpu_ms_per_step": data.ms_per_step(1), "loss": loss,
            "page_faults": usage.ru_minflt - faults, "peak_rss_mb": usage.ru_maxrss / 1024,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def child(arm: str, steps: int, model: str, batch_size: int, threads: int, root_dir: str, conn) -> None:
    """A run in a process forked by bench/__main__.py's forkserver (which imported this module, so
    the run starts at once, as after a script's imports): its output silenced, its result sent up."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the progress bar and Lightning's messages
    os.dup2(1, 2)
    warnings.filterwarnings("ignore")
    try:
        result = run(arm, steps, model, batch_size, threads, root_dir, Baton(conn))
    except BaseException:
        conn.send_bytes(b"E" + traceback.format_exc().encode())
        raise SystemExit(1) from None
    conn.send_bytes(json.dumps(result).encode())
