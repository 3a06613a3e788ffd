"""One benchmark run, printed as one JSON line; `python -m bench` starts a fresh process for each.

ARM is the deck's plain loop (``fit_plain``) or the deck's ``LitModule`` under a ``pl.Trainer``
with some defaults off (``ARMS``); same model, data, optimizer, seed and steps. After a complete
epoch both validate once, as ``trainer.fit`` does. The clock covers data set-up, training and that
validation, not the imports or the model's creation. ``--linear``: one linear layer instead of the
CNN, images decoded once into a tensor, one thread: what Lightning adds per step, unhidden.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import sys
import time
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

SEED, LR = 0, 1e-2
# Every Trainer arm on the CPU, as the plain loop: on a GPU machine "auto" would train the Lightning
# arms elsewhere (other losses: "did not train the same model"), and on several GPUs start DDP.
DEVICE = {"accelerator": "cpu", "devices": 1}
FIVE_OFF = {"enable_progress_bar": False, "logger": False, "enable_checkpointing": False,
            "enable_model_summary": False, "num_sanity_val_steps": 0}  # Lightning's own parity setting
ARMS = {  # name -> (Trainer flags, or None for the plain loop; whether self.log does its work)
    "plain": (None, True),
    "lightning": ({}, True),  # the deck's defaults
    "no progress bar": ({"enable_progress_bar": False}, True),
    "bare": (FIVE_OFF, True),
    "bare, no self.log": (FIVE_OFF, False),
}


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
    """The deck's data module, noting when each training batch is made (for the plain loop and the
    Trainer alike; the loader stays the deck's DataLoader)."""

    def __init__(self, preload: bool):
        super().__init__(str(DATA))
        self.preload, self.times = preload, []

    def prepare_data(self):
        pass  # done by deck_split, in setup

    def setup(self, stage: str):
        self.train_set, self.val_set = deck_split(self.preload)

    def train_dataloader(self):
        loader, times = super().train_dataloader(), self.times
        collate = loader.collate_fn
        loader.collate_fn = lambda batch: times.append(time.perf_counter()) or collate(batch)
        return loader

    def ms_per_step(self, skip: int = 10) -> float:
        """Steady time per step: from batch `skip` (past the first steps' lazy set-up) to the last."""
        first = min(skip, len(self.times) - 2)
        return (self.times[-1] - self.times[first]) / (len(self.times) - 1 - first) * 1000


def fit_plain_and_validate(model: nn.Module, data: TimedData, steps: int) -> float:
    data.prepare_data()
    data.setup("fit")
    loss = fit_plain(model, data, steps, lr=LR)  # the deck's loop
    if steps >= len(data.train_dataloader()):  # a complete epoch: trainer.fit validates here
        model.eval()
        with torch.no_grad():
            sum((model(x).argmax(dim=1) == y).sum().item() for x, y in data.val_dataloader())
    return loss


def usage() -> tuple[float, float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime + r.ru_stime, r.ru_minflt


def run(arm: str, steps: int, linear: bool = False, root_dir: str = ".") -> dict:
    flags, log = ARMS[arm]
    threads = torch.get_num_threads()
    if linear:  # the cost in question is serial Python; OpenMP's idle spinning only adds noise
        torch.set_num_threads(1)
    torch.manual_seed(SEED)
    module, data, logged = LitModule(lr=LR), TimedData(preload=linear), {}
    if linear:
        module.model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    if not log:  # self.log replaced by the least it must do: keep the value
        module.log = lambda name, value, **kwargs: logged.__setitem__(name, value)
    before = usage()
    if flags is None:
        loss = fit_plain_and_validate(module.model, data, steps)
    else:
        trainer = pl.Trainer(max_steps=steps, default_root_dir=root_dir, **DEVICE, **flags)
        trainer.fit(module, data)
        loss = (logged or trainer.callback_metrics)["train_loss"].item()
    wall, cpu, faults = (b - a for a, b in zip(before, usage(), strict=True))
    result = {"seconds": wall, "cpu_seconds": cpu, "page_faults": faults, "ms_per_step": data.ms_per_step(),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "loss": loss,
              "torch_threads": torch.get_num_threads(),
              "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    torch.set_num_threads(threads)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("arm", choices=ARMS)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--linear", action="store_true")
    parser.add_argument("--root-dir", default=".", help="where the Trainer writes its logs and checkpoints")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")  # the result line must be the only output on stdout
    print(json.dumps(run(args.arm, args.steps, args.linear, args.root_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
