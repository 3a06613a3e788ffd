import pytorch_lightning as pl

from litdatamodule import LitDataModule
from litmodule import LitModule

pl.seed_everything(42)  # 乱数のシードを固定して再現しやすくする
model = LitModule()
data = LitDataModule()

# devices=1：GPU があっても 1 台だけ使う（後のスライド「GPU の選び方」）
trainer = pl.Trainer(max_epochs=1, devices=1, enable_progress_bar=False)
trainer.fit(model, data)

result = trainer.test(model, data, verbose=False)
assert result[0]["test_acc"] >= 0.98  # テスト用の 1 万枚で 98% 以上

import os
import torch

# 既定の ModelCheckpoint が最後に保存したファイル（monitor なしなので best＝最新）
path = trainer.checkpoint_callback.best_model_path
print(os.path.relpath(path))
model = LitModule.load_from_checkpoint(path)  # lr などのハイパーパラメーターも復元される
model.eval()  # Trainer の外では、推論の前に自分で eval モードにする
x, y = next(iter(data.test_dataloader()))  # テストデータの先頭 128 枚
with torch.no_grad():  # 勾配の計算も自分で止める
    pred = model(x.to(model.device)).argmax(dim=1).cpu()
print("予測:", pred[:10].tolist())
print("正解:", y[:10].tolist())
print(f"128 枚中 {(pred == y).sum()} 枚正解")
