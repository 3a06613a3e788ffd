import pytorch_lightning as pl
from pytorch_lightning.loggers import CSVLogger

from litdatamodule import LitDataModule
from litmodule import LitModule

pl.seed_everything(42)  # 乱数のシードを固定して再現しやすくする
model = LitModule()
data = LitDataModule()

# devices=1：GPU があっても 1 台だけ使う（後のスライド「GPU の選び方」）
trainer = pl.Trainer(max_epochs=1, devices=1, enable_progress_bar=False,
                     logger=CSVLogger(save_dir="."), val_check_interval=0.2)  # 検証は 1/5 エポックごと
trainer.fit(model, data)

result = trainer.test(model, data, verbose=False)
assert result[0]["test_acc"] >= 0.98  # テスト用の 1 万枚で 98% 以上

import csv

import matplotlib.pyplot as plt

with open(f"{trainer.logger.log_dir}/metrics.csv") as f:
    rows = list(csv.DictReader(f))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharex=True)
for ax, key in zip(axes, ["train_loss", "val_acc"]):
    logged = [r for r in rows if r[key]]  # key の値がある行だけ
    values = [float(r[key]) for r in logged]
    ax.plot([int(r["step"]) for r in logged], values, marker="o")
    ax.set(title=f"{key} (last {values[-1]:.3f})", xlabel="step")  # matplotlib の既定のフォントには日本語がない
fig.savefig("learning_curve.svg")

import os
import torch

# 既定の ModelCheckpoint が最後に保存したファイル（monitor なしなので best＝最新）
path = trainer.checkpoint_callback.best_model_path
print(os.path.relpath(path))
model = LitModule.load_from_checkpoint(path)
print("lr:", model.hparams.lr)  # ハイパーパラメーターも復元される
model.eval()  # Trainer の外では、推論の前に自分で eval モードにする
x, y = next(iter(data.test_dataloader()))  # テストデータの先頭 128 枚
with torch.no_grad():  # 勾配の計算も自分で止める
    pred = model(x.to(model.device)).argmax(dim=1).cpu()
print("128 枚中 120 枚以上正解:", (pred == y).sum().item() >= 120)

import matplotlib.pyplot as plt

wrong = pred != y
order = torch.argsort(wrong.int(), descending=True, stable=True)  # 間違いが先頭
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for ax, i in zip(axes, order):
    ax.imshow(x[i, 0], cmap="gray_r")
    ax.set_axis_off()
    if wrong[i]:
        ax.set_title(f"{pred[i]}≠{y[i]}", color="#D55E00", fontweight="bold")
    else:
        ax.set_title(f"{pred[i]}")
fig.savefig("predictions.png")
