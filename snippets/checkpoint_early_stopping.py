import os

import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from litdatamodule import LitDataModule
from litmodule import LitModule

best = ModelCheckpoint(dirpath="ckpt", filename="best", monitor="val_loss")
last = ModelCheckpoint(dirpath="ckpt", filename="last")  # 毎エポック上書き：再開用
stop = EarlyStopping(monitor="val_loss", patience=3)  # 3 回続けてよくならなければ止める
trainer = pl.Trainer(max_epochs=5, devices=1, callbacks=[best, last, stop],
                     limit_train_batches=0.2,  # 資料の実行用に 1 エポックを 1/5 に縮めている
                     enable_progress_bar=False)  # 進み具合の表示を止める（出力を短くする）
trainer.fit(LitModule(), LitDataModule())
print(sorted(os.listdir("ckpt")))
