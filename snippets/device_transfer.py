import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer


class WhereIsTheBatch(pl.Callback):
    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        x, y = batch
        print(f"モデル: {module.device}、バッチ: {x.device}")


trainer = quick_trainer(accelerator="auto", max_steps=1, callbacks=[WhereIsTheBatch()])
trainer.fit(LitModule(), LitDataModule())
