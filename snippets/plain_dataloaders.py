import torch
from torch.utils.data import DataLoader, random_split
from torchvision import transforms
from torchvision.datasets import MNIST

from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用

transform = transforms.Compose([
    transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
full = MNIST("data", train=True, download=True, transform=transform)
seed = torch.Generator().manual_seed(42)
train_set, val_set = random_split(full, [0.9, 0.1], generator=seed)
trainer = quick_trainer(max_steps=5)
trainer.fit(LitModule(), DataLoader(train_set, batch_size=128, shuffle=True),
            DataLoader(val_set, batch_size=128))
