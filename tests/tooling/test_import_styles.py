"""Mixing `pytorch_lightning` and `lightning.pytorch` in one program fails with a TypeError on the fit.

Needs both packages, as a reader has after `pip install lightning` (lightning 2.6 declares
pytorch-lightning as a dependency) or after installing one on top of the other:
`make test-lightning-package` runs this so (tools/matrix.py); in `.venv` (no `lightning`) it skips.

What a reader sees depends on what is mixed:
- their own LightningModule written against one package, the Trainer from the other:
  "`model` must be a `LightningModule` ..., got `Tiny`" (Lightning cannot tell it is a mix);
- an object Lightning itself defines, from the other package (here a LightningDataModule made
  by `from_datasets`): "... Please switch to a single import style."
"""

from __future__ import annotations

import importlib
import importlib.util

import pytest

STYLES = ["pytorch_lightning", "lightning.pytorch"]
both = all(importlib.util.find_spec(name.split(".")[0]) is not None for name in STYLES)
pytestmark = pytest.mark.skipif(not both, reason="needs both lightning and pytorch_lightning: "
                                                 "make test-lightning-package runs it")
DIRECTIONS = [STYLES, STYLES[::-1]]  # (what the model/data come from, what the Trainer comes from)


def tiny_module(package):
    import torch

    class Tiny(package.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            return self.layer(batch).sum()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    return Tiny()


def quiet_trainer(package):
    return package.Trainer(max_steps=1, logger=False, enable_checkpointing=False, accelerator="cpu", devices=1,
                           enable_progress_bar=False, enable_model_summary=False)  # never DDP on several GPUs


@pytest.mark.parametrize("model_from, trainer_from", DIRECTIONS)
def test_a_model_of_the_other_package_is_a_type_error(model_from: str, trainer_from: str):
    import torch

    data = torch.utils.data.DataLoader(torch.randn(4, 2), batch_size=2)
    model = tiny_module(importlib.import_module(model_from))
    with pytest.raises(TypeError, match=r"`model` must be a `LightningModule`.*got `\S*Tiny`"):
        quiet_trainer(importlib.import_module(trainer_from)).fit(model, data)


@pytest.mark.parametrize("data_from, trainer_from", DIRECTIONS)
def test_lightnings_own_object_of_the_other_package_says_single_import_style(data_from: str, trainer_from: str):
    import torch

    trainer_package = importlib.import_module(trainer_from)
    data = importlib.import_module(data_from).LightningDataModule.from_datasets(torch.randn(4, 2), batch_size=2)
    with pytest.raises(TypeError, match=rf"You passed a `{data_from}` object \(LightningDataModule\) to a "
                                        rf"`{trainer_from}` Trainer\. Please switch to a single import style\."):
        quiet_trainer(trainer_package).fit(tiny_module(trainer_package), datamodule=data)
