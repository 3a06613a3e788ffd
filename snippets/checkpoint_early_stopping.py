import os

import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from litdatamodule import LitDataModule
from litmodule import LitModule

keep = dict(dirpath="ckpt", enable_version_counter=False)  # 実行し直したら上書きする
best = ModelCheckpoint(filename="best", monitor="val_loss", **keep)  # 最良の重み
last = ModelCheckpoint(filename="last", **keep)  # monitor なし：毎エポックの最新（再開用）
stop = EarlyStopping(monitor="val_loss", patience=3)  # 3 回続けてよくならなければ止める
trainer = pl.Trainer(max_epochs=5, devices=1, callbacks=[best, last, stop],
                     limit_train_batches=0.2, enable_progress_bar=False)  # 資料の実行用
trainer.fit(LitModule(), LitDataModule())
print(sorted(os.listdir("ckpt")))
