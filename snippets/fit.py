import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule

pl.seed_everything(42, workers=True)  # 乱数を固定（DataLoader のワーカーも）
model = LitModule()
data = LitDataModule()
trainer = pl.Trainer(max_epochs=2, devices=1)  # GPU が何台あっても 1 台だけ使う
trainer.fit(model, data)
result = trainer.test(model, data)
assert result[0]["test_acc"] >= 0.98  # 資料の確認用：テスト用の 1 万枚で正解率 98% 以上
