# train.py
import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule

trainer = pl.Trainer(accelerator="gpu", devices=4, num_nodes=2, strategy="ddp", max_epochs=10)
trainer.fit(LitModule(), LitDataModule())
