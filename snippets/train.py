# train.py
import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from litdatamodule import LitDataModule
from litmodule import LitModule

if __name__ == "__main__":  # DataLoader のワーカーを増やすときに必要（付録）
    pl.seed_everything(42, workers=True)  # 乱数を固定（DataLoader のワーカーも）
    best = ModelCheckpoint(monitor="val_loss", filename="best")  # val_loss が最小の重み
    stop = EarlyStopping(monitor="val_loss", patience=5)  # 5 回続けて改善しなければ止める
    trainer = pl.Trainer(max_epochs=2,  # 資料用：自分の課題では上限として 100 など
                         devices=1, callbacks=[best, stop])  # GPU は 1 台
    data = LitDataModule()
    trainer.fit(LitModule(), data)
    trainer.test(datamodule=data, ckpt_path="best")  # 最後ではなく最良の重みで
