# litdatamodule.py
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, random_split
from torchvision import transforms
from torchvision.datasets import MNIST


class LitDataModule(pl.LightningDataModule):
    def __init__(self, data_dir: str = "data", batch_size: int = 128):
        super().__init__()
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.transform = transforms.Compose([
            transforms.ToTensor(),
            transforms.Normalize((0.1307,), (0.3081,)),  # MNIST の平均と標準偏差
        ])

# （litdatamodule.py の続き）
    def prepare_data(self):  # ダウンロードだけ：ノードごとに 1 プロセスで呼ばれる
        MNIST(self.data_dir, train=True, download=True)
        MNIST(self.data_dir, train=False, download=True)

    def setup(self, stage: str):  # 各プロセスで呼ばれる：self に Dataset を持たせる
        if stage in ("fit", "validate"):
            full = MNIST(self.data_dir, train=True, transform=self.transform)
            self.train_set, self.val_set = random_split(  # 割合で分ける：シード固定
                full, [0.9, 0.1], generator=torch.Generator().manual_seed(42)
            )
        if stage == "test":
            self.test_set = MNIST(self.data_dir, train=False, transform=self.transform)

# （litdatamodule.py の続き）
    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=self.batch_size)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=self.batch_size)
