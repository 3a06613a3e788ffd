import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule

trainer = pl.Trainer(fast_dev_run=True, devices=1)  # 記録もチェックポイントも残さない
trainer.fit(LitModule(), LitDataModule())
