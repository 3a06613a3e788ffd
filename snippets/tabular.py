# tabular.py
import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset, random_split

from litmodule import LitModule


def load_csv(path: str):
    """最後の列がクラス番号の CSV を、学習・検証・テスト用に 70・15・15% で分ける"""
    rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)  # 1 行目は列名
    x, y = torch.from_numpy(rows[:, :-1]), torch.from_numpy(rows[:, -1]).long()
    data = TensorDataset(x, y)  # 入力の列と、最後の列のクラス番号
    seed = torch.Generator().manual_seed(42)  # いつ実行しても同じ分け方
    return random_split(data, [0.7, 0.15, 0.15], generator=seed)  # 割合なら何行でも動く

# （tabular.py の続き）
class TabularModule(LitModule):  # 学習・検証・テストの計算は LitModule のまま
    def __init__(self, n_features: int, n_classes: int, lr: float = 1e-2):
        super().__init__(lr)  # 引数はすべてチェックポイントに保存される
        self.model = nn.Sequential(
            nn.Linear(n_features, 64), nn.ReLU(), nn.Linear(64, n_classes))
        self.register_buffer("mean", torch.zeros(n_features))  # バッファー：重みと一緒に保存
        self.register_buffer("std", torch.ones(n_features))

    def set_statistics(self, train_set):  # 学習用の行だけから平均と標準偏差を取る
        x = train_set.dataset.tensors[0][train_set.indices]
        self.mean.copy_(x.mean(dim=0))
        self.std.copy_(x.std(dim=0).clamp_min(1e-6))  # 値が一定の列で 0 で割らない

    def forward(self, x):
        return self.model((x - self.mean) / self.std)  # 学習でも予測でも同じ前処理
