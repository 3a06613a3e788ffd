"""One benchmark run in a fresh process, printed as one JSON line (see tools/bench.py).

    python -m tools.bench_worker plain --steps 430
    python -m tools.bench_worker lightning --steps 430 [--bare]
    python -m tools.bench_worker overhead --steps 430 [--rounds 7]
    python -m tools.bench_worker fit --steps 430

`plain` is the deck's own "before Lightning" loop (``fit_plain`` of slide 特徴 2) and `lightning` the deck's
``pl.Trainer`` with its default settings (``--bare``: the five defaults below turned off, as in
Lightning's own parity test), on the same model, data, optimizer, seed and number of steps; both
validate once when the epoch is complete, as ``trainer.fit`` does. The clock covers the data
set-up, the training and that validation; the imports and the model's creation are outside it for
both. Each run is its own process, so its peak RSS is its own.

`overhead` times what Lightning itself adds per step, with the model's compute out of the way (see
``run_overhead``), and `fit` the deck's fit as a user runs it (see ``run_fit``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import random
import resource
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import Subset, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets"))
from litdatamodule import LitDataModule  # noqa: E402  (the deck's modules)
from litmodule import LitModule  # noqa: E402
from plain_loop import fit_plain  # noqa: E402

SEED = 0
LR = 1e-2
DEFAULTS = {  # what the Trainer does by default -> the flag that turns it off
    "progress bar": {"enable_progress_bar": False},
    "logger (CSV)": {"logger": False},
    "checkpointing": {"enable_checkpointing": False},
    "model summary": {"enable_model_summary": False},
    "sanity check": {"num_sanity_val_steps": 0},
}
BARE = {flag: value for flags in DEFAULTS.values() for flag, value in flags.items()}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_faults() -> int:
    """Minor page faults so far: a run that keeps handing memory back to the OS shows here."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def cpu_seconds() -> float:
    """CPU time of this process, all threads: less disturbed than wall time by a busy neighbour."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fit_and_validate_plain(model: nn.Module, data, steps: int) -> tuple[float, float | None]:
    """The deck's loop, then (after a complete epoch) one validation pass, as trainer.fit does."""
    data.prepare_data()
    data.setup("fit")
    complete_epoch = steps >= len(data.train_dataloader())
    loss = fit_plain(model, data, steps, lr=LR)  # the deck's loop
    if not complete_epoch:
        return loss, None
    model.eval()
    with torch.no_grad():
        correct = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in data.val_dataloader())
    return loss, correct / len(data.val_set)


def fit_lightning(module, data, steps: int, flags: dict):
    import pytorch_lightning as pl

    trainer = pl.Trainer(max_steps=steps, **flags)
    trainer.fit(module, data)
    return trainer


@contextlib.contextmanager
def measured():
    """Wall time, CPU time and minor page faults of the block, and the peak RSS after it."""
    usage: dict = {}
    start, cpu, faults = time.perf_counter(), cpu_seconds(), page_faults()
    yield usage
    usage |= {"seconds": time.perf_counter() - start, "cpu_seconds": cpu_seconds() - cpu,
              "page_faults": page_faults() - faults, "peak_rss_mb": peak_rss_mb()}


def run_plain(steps: int) -> dict:
    torch.manual_seed(SEED)
    model = LitModule(lr=LR).model
    with measured() as usage:
        loss, val_acc = fit_and_validate_plain(model, LitDataModule(), steps)
    return usage | {"loss": loss, "val_acc": val_acc}


def run_lightning(steps: int, flags: dict) -> dict:
    torch.manual_seed(SEED)
    model = LitModule(lr=LR)
    with measured() as usage:
        trainer = fit_lightning(model, LitDataModule(), steps, flags)
    metrics = trainer.callback_metrics
    val_acc = metrics["val_acc"].item() if "val_acc" in metrics else None
    return usage | {"loss": metrics["train_loss"].item(), "val_acc": val_acc}


class TimedBatches:
    """A training loader that notes when each batch is asked for; plain loop and Trainer read it alike,
    so the span from batch ``SKIP`` to the last one is the steady per-step time of either."""

    SKIP = 10  # first steps: allocations and lazy set-up

    def __init__(self, loader):
        self.loader, self.times = loader, []

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            self.times.append(time.perf_counter())
            yield batch

    def seconds_per_step(self) -> float:
        first = min(self.SKIP, len(self.times) - 2)  # a smoke run has only a few steps
        return (self.times[-1] - self.times[first]) / (len(self.times) - 1 - first)


@functools.cache
def preloaded_mnist(data_dir: str) -> tuple[TensorDataset, list[int], list[int]]:
    """The deck's training images, normalised as its transform does, in one tensor, and the deck's
    train/val split; taken from LitDataModule itself and decoded once per process."""
    deck = LitDataModule(data_dir)
    deck.setup("fit")
    full, normalize = deck.train_set.dataset, deck.transform.transforms[-1]
    images = normalize(full.data.float().unsqueeze(1) / 255)  # what ToTensor + Normalize give, for all at once
    return TensorDataset(images, full.targets), deck.train_set.indices, deck.val_set.indices


class PreloadedMNIST(LitDataModule):
    """The deck's data module with the real images decoded and normalised once into one tensor,
    so a batch costs next to nothing to load (no PIL, no per-image transform)."""

    def setup(self, stage: str):
        images, train, val = preloaded_mnist(self.data_dir)
        self.train_set, self.val_set = Subset(images, train), Subset(images, val)

    def train_dataloader(self):
        self.timed = TimedBatches(super().train_dataloader())
        return self.timed


class LinearLitModule(LitModule):
    """The deck's LitModule (same steps, logging and optimizer) around one linear layer: ~no compute."""

    def __init__(self, lr: float = LR):
        super().__init__(lr)
        self.model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


def run_overhead(steps: int, rounds: int) -> dict:
    """What Lightning adds per step, measured where the model's compute cannot hide it or add noise:
    a linear model on preloaded images, trained by the deck's plain loop and by the Trainer with its
    defaults, without each default, with all five off, and with all five off and ``self.log`` a
    no-op. The arms take turns in this one process, in a shuffled order, ``rounds`` times; every
    round's times are returned, so costs can be taken as differences within a round."""
    arms: dict[str, tuple[dict, bool] | None] = {
        "plain": None,
        "deck defaults": ({}, True),
        **{f"without {name}": (flags, True) for name, flags in DEFAULTS.items()},
        "all five off": (BARE, True),
        "all five off, no self.log": (BARE, False),
    }
    torch.set_num_threads(1)  # the cost in question is serial Python; OpenMP's idle spinning only adds noise
    per_step: dict[str, list[float]] = {name: [] for name in arms}
    whole: dict[str, list[float]] = {name: [] for name in arms}
    order = random.Random(SEED)
    for _ in range(rounds + 1):  # the first round warms up and is dropped
        # a new order each round, so no arm always follows the same neighbour in this process
        for name, arm in order.sample(list(arms.items()), len(arms)):
            torch.manual_seed(SEED)
            module, data = LinearLitModule(), PreloadedMNIST()
            start = time.perf_counter()
            if arm is None:
                fit_and_validate_plain(module.model, data, steps)
            else:
                flags, log = arm
                if not log:
                    module.log = lambda *args, **kwargs: None
                fit_lightning(module, data, steps, flags)
            whole[name].append(time.perf_counter() - start)
            per_step[name].append(data.timed.seconds_per_step())
    return {"steps": steps, "rounds": rounds,  # the warm-up round dropped
            "ms_per_step": {name: [t * 1000 for t in times[1:]] for name, times in per_step.items()},
            "run_seconds": {name: times[1:] for name, times in whole.items()}}


def run_fit(steps: int, checkpoints: int = 8) -> dict:
    """The deck's fit with SimpleProfiler, plus the test accuracy at evenly spaced steps
    (evaluation time is kept off the training clock) to find when it first reaches 98%."""
    import pytorch_lightning as pl
    from pytorch_lightning.profilers import SimpleProfiler

    data = LitDataModule()
    data.prepare_data()
    data.setup("test")
    test_loader = data.test_dataloader()

    class AccuracyClock(pl.Callback):
        def __init__(self):
            self.start, self.paused, self.curve = 0.0, 0.0, []

        def on_train_start(self, trainer, module):
            self.start = time.perf_counter()

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            step = trainer.global_step
            every = steps // checkpoints  # 0 for a short run: measure at the end only
            if step != steps and (every == 0 or step % every):
                return
            paused = time.perf_counter()
            module.eval()
            with torch.no_grad():
                correct = sum((module(x).argmax(dim=1) == y).sum().item() for x, y in test_loader)
            module.train()
            self.curve.append({"step": step, "train_seconds": paused - self.start - self.paused,
                               "test_acc": correct / len(test_loader.dataset)})
            self.paused += time.perf_counter() - paused

    pl.seed_everything(42, verbose=False)
    clock = AccuracyClock()
    profiler = SimpleProfiler()
    trainer = pl.Trainer(max_steps=steps, profiler=profiler, callbacks=[clock])  # the deck's defaults
    start = time.perf_counter()
    trainer.fit(LitModule(), LitDataModule())
    wall = time.perf_counter() - start - clock.paused
    durations = profiler.recorded_durations
    phases = {name: sum(times) for name, times in durations.items()}

    def total(prefix: str) -> float:
        return sum(v for k, v in phases.items() if k.startswith(prefix))

    # The sanity check runs the first validation batches before training.
    sanity = trainer.num_sanity_val_steps
    validation = next((v for k, v in durations.items() if k.endswith(".validation_step")), [])
    val_next = durations.get("[_EvaluationLoop].val_next", [])
    reached = next((c for c in clock.curve if c["test_acc"] >= 0.98), None)
    return {
        "wall_seconds": wall,
        "train_seconds": clock.curve[-1]["train_seconds"] if clock.curve else None,
        "samples": steps * data.batch_size,
        "curve": clock.curve,
        "seconds_to_98": reached["train_seconds"] if reached else None,
        # where the time goes, from SimpleProfiler's actions
        "data_loading_seconds": phases.get("[_TrainingEpochLoop].train_dataloader_next", 0.0)
        + phases.get("[_EvaluationLoop].val_next", 0.0),
        "compute_seconds": phases.get("run_training_batch", 0.0)
        + sum(v for k, v in phases.items() if k.startswith("[Strategy]") and k.endswith(".validation_step")),
        # what the defaults cost, as SimpleProfiler timed their hooks (no logger hook is timed)
        "profiled_default_costs": {
            "progress bar": total("[Callback]TQDMProgressBar"),
            "checkpointing": total("[Callback]ModelCheckpoint") + phases.get("save_checkpoint", 0.0),
            "model summary": total("[Callback]ModelSummary"),
            "sanity check": sum(validation[:sanity]) + sum(val_next[:sanity]),
        },
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["plain", "lightning", "overhead", "fit"])
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--bare", action="store_true", help="lightning: the five defaults turned off")
    parser.add_argument("--rounds", type=int, default=7, help="overhead: rounds of all arms after a warm-up")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")  # the result line must be the only output on stdout
    torch.set_num_threads(torch.get_num_threads())  # fixed for the whole run
    if args.kind == "plain":
        result = run_plain(args.steps)
    elif args.kind == "lightning":
        result = run_lightning(args.steps, BARE if args.bare else {})
    elif args.kind == "overhead":
        result = run_overhead(args.steps, args.rounds)
    else:
        result = run_fit(args.steps)
    result["torch_threads"] = torch.get_num_threads()
    result["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
