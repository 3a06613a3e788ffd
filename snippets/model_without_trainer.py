import torch.nn.functional as F

from litdatamodule import LitDataModule
from litmodule import LitModule

data = LitDataModule()
data.prepare_data()
data.setup("test")
x, y = next(iter(data.test_dataloader()))  # 本物の MNIST を 128 枚

net = LitModule().model  # Trainer を通さず、PyTorch だけで使う
loss = F.cross_entropy(net(x), y)
loss.backward()
print(type(net).__name__, x.shape, net[0].weight.grad.shape)
