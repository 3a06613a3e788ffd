import os
from pathlib import Path

import torch
from tabular import TabularModule, load_csv

run = max(Path("my_data/lightning_logs").glob("version_*"), key=os.path.getmtime)
model = TabularModule.load_from_checkpoint(run / "checkpoints/best.ckpt").eval()
train_set, _, test_set = load_csv("my_data.csv")  # 同じシードなので同じ分け方
x, y = test_set[:]  # テスト用の行すべて
with torch.no_grad():  # GPU で学習した重みは GPU に戻るので、x も送る
    accuracy = (model(x.to(model.device)).argmax(dim=1).cpu() == y).float().mean().item()
print("多数派のクラスより正確:", accuracy > torch.bincount(y).max().item() / len(y))
print("学習用の統計も戻った:", torch.allclose(model.mean, train_set[:][0].mean(dim=0)))
