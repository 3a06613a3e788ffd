"""What the behaviour tests share: devices, platforms and notebooks faked the way Lightning's own tests
fake them, and small CPU Trainers.

Device counts are faked as Lightning's tests do (tests_pytorch/conftest.py ``mock_cuda_count``): by
replacing ``num_cuda_devices`` in the modules that call it. Nothing is fitted on a faked device. The
same fakes hide a real GPU (CUDA or MPS) of the machine, and every fit here names
``accelerator="cpu"``, so the ledger passes on a GPU machine too (tests/deck/test_device_independence.py).
"""

from __future__ import annotations

import inspect
import warnings

import pytorch_lightning as pl
from pytorch_lightning.demos.boring_classes import BoringModel


def fake_gpus(monkeypatch, n: int, mps: bool = False) -> None:
    """n CUDA devices and no MPS unless asked: the machine's own GPU, CUDA or MPS, is hidden."""
    import lightning_fabric.accelerators.cuda as fabric_cuda
    import pytorch_lightning.accelerators.cuda as pl_cuda
    from lightning_fabric.accelerators.mps import MPSAccelerator

    monkeypatch.setattr(fabric_cuda, "num_cuda_devices", lambda: n)
    monkeypatch.setattr(pl_cuda, "num_cuda_devices", lambda: n)
    monkeypatch.setattr(MPSAccelerator, "is_available", staticmethod(lambda: mps))


def fake_mps(monkeypatch) -> None:
    """Apple Silicon: MPS and no CUDA."""
    fake_gpus(monkeypatch, 0, mps=True)


def interactive(monkeypatch) -> None:
    """As in Jupyter: IPython sets sys.ps1, which lightning_fabric.utilities.imports reads at import."""
    import pytorch_lightning.trainer.connectors.accelerator_connector as connector

    monkeypatch.setattr(connector, "_IS_INTERACTIVE", True)


def trainer(**flags) -> pl.Trainer:
    """A Trainer with no logger, checkpoint, progress bar or summary (unless asked)."""
    settings = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pl.Trainer(**(settings | flags))


def tiny_fit(**flags) -> pl.Trainer:
    """A trainer() for a fit of 2 steps on the CPU."""
    return trainer(**({"max_steps": 2, "limit_val_batches": 2, "num_sanity_val_steps": 0, "accelerator": "cpu",
                       "devices": 1} | flags))


def launcher(t: pl.Trainer) -> str:
    return type(t.strategy.launcher).__name__ if t.strategy.launcher else "none"


def default(name: str):
    """The default of a Trainer argument."""
    return inspect.signature(pl.Trainer).parameters[name].default


class Logs(BoringModel):
    """Logs train_loss each step and val_loss in validation."""

    def training_step(self, batch, batch_idx):
        out = super().training_step(batch, batch_idx)
        self.log("train_loss", out["loss"])
        return out

    def validation_step(self, batch, batch_idx):
        out = super().validation_step(batch, batch_idx)
        self.log("val_loss", out["x"])
        return out


class Scored(BoringModel):
    """val_loss is given per validation check: scores[k] at the k-th check (then flat)."""

    def __init__(self, scores):
        super().__init__()
        self.scores, self.checks = scores, 0

    def on_validation_epoch_end(self):
        self.log("val_loss", float(self.scores[min(self.checks, len(self.scores) - 1)]))
        self.checks += 1
