from pathlib import Path

import torch

from litdatamodule import LitDataModule
from litmodule import LitModule

run = max(Path("lightning_logs").glob("version_*"), key=lambda p: p.stat().st_mtime)
model = LitModule.load_from_checkpoint(run / "checkpoints/best.ckpt").eval()  # 評価モード
data = LitDataModule()
data.prepare_data()
data.setup("test")  # 新しいプロセスでは、使う stage を自分で準備する
with torch.no_grad():  # Trainer の外では、勾配を計算しない設定も自分で行う
    pred = [model(x.to(model.device)).argmax(1).cpu() for x, _ in data.test_dataloader()]
accuracy = (torch.cat(pred) == data.test_set.targets).float().mean().item()  # 1 万枚すべて
print("正解率 98% 以上:", accuracy >= 0.98)  # 資料用：自分の課題では print(accuracy)
