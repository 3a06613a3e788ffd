"""bf16-mixed vs 32-true on this CPU, time per training step inside Lightning (issue 31, item 3).

Run:  .venv/bin/python -m bench.bf16 [--rounds 5] [--threads 1 2]

Two workloads, each fitted by a real pl.Trainer (accelerator="cpu", devices=1, no logger/checkpoint): cnn, the
deck's LitModule on MNIST-shaped random batches of 128, 15 steps; mlp, a small MLP (10 -> 64 -> 64 -> 1, MSE) on
300x10 random tabular rows in batches of 32, 60 steps. A fit's sample is the median time of its training steps
(on_train_batch_start -> on_train_batch_end) after `WARMUP`. Rounds interleave 32-true and bf16-mixed so that
drift of the shared machine hits both. Prints, per workload, threads and precision, the median over rounds with
min-max, and the bf16/fp32 ratio per round (median, min-max).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import warnings

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from deck.paths import SNIPPETS

sys.path.insert(0, str(SNIPPETS))  # the deck's LitModule
from litmodule import LitModule  # noqa: E402  the deck's CNN

WARMUP, STEPS = 3, {"cnn": 15, "mlp": 60}
logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)  # no per-fit banners


class MLP(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.mse_loss(self.net(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


class StepTimer(pl.Callback):
    def __init__(self):
        self.times, self.threads = [], None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.threads = torch.get_num_threads()
        self.t0 = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.times.append(time.perf_counter() - self.t0)


def data(kind: str) -> DataLoader:
    g = torch.Generator().manual_seed(0)
    if kind == "cnn":
        x, y = torch.randn(128 * 8, 1, 28, 28, generator=g), torch.randint(0, 10, (128 * 8,), generator=g)
        return DataLoader(TensorDataset(x, y), batch_size=128)
    x = torch.randn(300, 10, generator=g)
    return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=32, shuffle=True, generator=g)


def one_fit(kind: str, precision: str, steps: int) -> tuple[float, int]:
    timer = StepTimer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = pl.Trainer(accelerator="cpu", devices=1, precision=precision, max_steps=steps, logger=False,
                       enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                       callbacks=[timer])
        t.fit(LitModule() if kind == "cnn" else MLP(), data(kind))
    return statistics.median(timer.times[WARMUP:]), timer.threads


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    a = p.parse_args()
    print(f"torch {torch.__version__}, lightning {pl.__version__}, "
          f"cpu capability {torch.backends.cpu.get_cpu_capability()}, mkldnn bf16 "
          f"{torch.ops.mkldnn._is_mkldnn_bf16_supported()}", flush=True)
    rows = []
    for kind, steps in STEPS.items():
        for threads in a.threads:
            torch.set_num_threads(threads)
            got = {"32-true": [], "bf16-mixed": []}
            for r in range(a.rounds):
                for precision in ("32-true", "bf16-mixed"):
                    med, seen = one_fit(kind, precision, steps)
                    assert seen == threads, (seen, threads)
                    got[precision].append(med)
                print(f"  {kind} threads={threads} round {r}: fp32 {got['32-true'][-1]*1e3:.2f} ms, "
                      f"bf16 {got['bf16-mixed'][-1]*1e3:.2f} ms", flush=True)
            ratios = [b / f for f, b in zip(got["32-true"], got["bf16-mixed"])]
            rows.append((kind, threads, got, ratios))
    print("\nworkload threads | 32-true ms/step median (min-max) | bf16-mixed ms/step median (min-max) | bf16/fp32")
    for kind, threads, got, ratios in rows:
        cells = [f"{statistics.median(v)*1e3:.2f} ({min(v)*1e3:.2f}-{max(v)*1e3:.2f})" for v in got.values()]
        print(f"{kind} {threads} | {cells[0]} | {cells[1]} | "
              f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")


if __name__ == "__main__":
    main()
