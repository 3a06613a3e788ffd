import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用


class WhereIsTheBatch(pl.Callback):
    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        device = trainer.strategy.root_device  # Trainer が選んだデバイス
        print(f"モデル {module.device == device}、バッチ {batch[0].device == device}")


model = LitModule()  # 作った直後は CPU 上
trainer = quick_trainer(accelerator="auto", max_steps=1, callbacks=[WhereIsTheBatch()])
trainer.fit(model, LitDataModule())
