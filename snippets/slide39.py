import csv

from pytorch_lightning.loggers import CSVLogger

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer

logger = CSVLogger("logs", name="mnist")
trainer = quick_trainer(max_steps=20, val_check_interval=20, logger=logger, log_every_n_steps=5)
trainer.fit(LitModule(), LitDataModule())

with open(f"{logger.log_dir}/metrics.csv") as f:
    rows = list(csv.DictReader(f))
print("train_loss を記録したステップ:", [r["step"] for r in rows if r["train_loss"]])
print("val_acc を記録したステップ:", [r["step"] for r in rows if r["val_acc"]])
