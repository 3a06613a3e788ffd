"""One benchmark run in a fresh process, printed as one JSON line (see tools/bench.py).

    python -m tools.bench_worker plain --steps 430
    python -m tools.bench_worker lightning --steps 430 [--flag enable_progress_bar=False ...]
    python -m tools.bench_worker fit [--steps 430]

`plain` is the deck's own "before Lightning" loop (``fit_plain`` of slide 特徴 2) and `lightning` the deck's
``pl.Trainer`` with its default settings, on the same model, data, optimizer, seed and number of
steps; both validate once when the epoch is complete, as ``trainer.fit`` does. The clock covers
the data set-up, the training and that validation; the imports and the model's creation are
outside it for both. Each run is its own process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "snippets"))
from litdatamodule import LitDataModule  # noqa: E402  (the deck's modules)
from litmodule import LitModule  # noqa: E402
from plain_loop import fit_plain  # noqa: E402

SEED = 0
LR = 1e-2


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process, all threads: less disturbed than wall time by a busy neighbour."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_plain(steps: int) -> dict:
    torch.manual_seed(SEED)
    model = LitModule(lr=LR).model
    start, cpu = time.perf_counter(), cpu_seconds()
    data = LitDataModule()
    data.prepare_data()
    data.setup("fit")
    loss = fit_plain(model, data, steps, lr=LR)  # the deck's loop
    if steps >= len(data.train_dataloader()):  # a complete epoch: validate, as trainer.fit does
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in data.val_dataloader())
        val_acc = correct / len(data.val_set)
    else:
        val_acc = None
    return {"seconds": time.perf_counter() - start, "cpu_seconds": cpu_seconds() - cpu,
            "loss": loss, "val_acc": val_acc, "peak_rss_mb": peak_rss_mb()}


def run_lightning(steps: int, flags: dict) -> dict:
    import pytorch_lightning as pl

    torch.manual_seed(SEED)
    model = LitModule(lr=LR)
    trainer = pl.Trainer(max_steps=steps, **flags)
    start, cpu = time.perf_counter(), cpu_seconds()
    trainer.fit(model, LitDataModule())
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    metrics = trainer.callback_metrics
    val_acc = metrics["val_acc"].item() if "val_acc" in metrics else None
    return {"seconds": seconds, "cpu_seconds": cpu, "loss": metrics["train_loss"].item(), "val_acc": val_acc,
            "peak_rss_mb": peak_rss_mb()}


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
    parser.add_argument("kind", choices=["plain", "lightning", "fit"])
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--flag", action="append", default=[], help="a Trainer flag, e.g. logger=False")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")  # the result line must be the only output on stdout
    torch.set_num_threads(torch.get_num_threads())  # fixed for the whole run
    if args.kind == "plain":
        result = run_plain(args.steps)
    elif args.kind == "lightning":
        flags = {k: ast.literal_eval(v) for k, v in (f.split("=", 1) for f in args.flag)}
        result = run_lightning(args.steps, flags)
    else:
        result = run_fit(args.steps)
    result["torch_threads"] = torch.get_num_threads()
    result["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
