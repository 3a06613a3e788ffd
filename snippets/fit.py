import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule

pl.seed_everything(42)  # 乱数を固定して再現できるようにする
model = LitModule()
data = LitDataModule()

trainer = pl.Trainer(max_epochs=1)  # 必要に応じてフラグを指定
trainer.fit(model, data)

result = trainer.test(model, data)
assert result[0]["test_acc"] >= 0.98  # テスト用の 1 万枚で 98% 以上
