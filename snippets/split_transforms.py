import torch
from torch.utils.data import Subset
from torchvision import transforms
from torchvision.datasets import MNIST

normalize = [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
augment = transforms.Compose([transforms.RandomRotation(10), *normalize])  # 学習用だけ
plain = transforms.Compose(normalize)
order = torch.randperm(60_000, generator=torch.Generator().manual_seed(42))  # 分け方を固定
train_set = Subset(MNIST("data", train=True, transform=augment), order[:54_000].tolist())
val_set = Subset(MNIST("data", train=True, transform=plain), order[54_000:].tolist())
print(len(train_set), len(val_set), val_set.dataset.transform is plain)
