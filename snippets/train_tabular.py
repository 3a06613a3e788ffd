# train_tabular.py
import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from torch.utils.data import DataLoader

from tabular import TabularModule, load_csv

if __name__ == "__main__":  # num_workers を増やすときに必要
    pl.seed_everything(42, workers=True)
    train_set, val_set, test_set = load_csv("my_data.csv")
    model = TabularModule(n_features=8, n_classes=3)
    model.set_statistics(train_set)
    best = ModelCheckpoint(monitor="val_loss", filename="best")
    stop = EarlyStopping(monitor="val_loss", patience=20)  # 検証は 60 行：ぶれるので長めに
    trainer = pl.Trainer(max_epochs=500, devices=1, callbacks=[best, stop],  # 500 は上限
                         log_every_n_steps=5, default_root_dir="my_data")  # 9 より小さく
    train = DataLoader(train_set, batch_size=32, shuffle=True)  # 280 行 ÷ 32 = 9 ステップ
    trainer.fit(model, train, DataLoader(val_set, batch_size=64))
    trainer.test(dataloaders=DataLoader(test_set, batch_size=64), ckpt_path="best")
