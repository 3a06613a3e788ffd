import torch

from litdatamodule import LitDataModule
from litmodule import LitModule
from plain_loop import fit_plain

torch.manual_seed(0)
model = LitModule().model  # 中身の nn.Module だけを使う
data = LitDataModule()
data.prepare_data()
data.setup("fit")
print(f"30 ステップ後の loss: {fit_plain(model, data, steps=30):.4f}")
