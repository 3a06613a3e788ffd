import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule

trainer = pl.Trainer(accelerator="cpu", devices=1, enable_progress_bar=False,
                     fast_dev_run=True,  # 学習・検証を 1 バッチずつ通して試す
                     precision="bf16-mixed")  # 混合精度：CPU でも使える bf16
trainer.fit(LitModule(), LitDataModule())
print(trainer.precision)
