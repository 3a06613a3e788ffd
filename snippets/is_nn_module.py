import torch

from litmodule import LitModule

model = LitModule()
print(isinstance(model, torch.nn.Module))
print(list(model.state_dict())[:2])  # 保存と読み込みも PyTorch と同じ
print(model(torch.zeros(1, 1, 28, 28)).shape)  # Trainer なしでも呼べる
print(f"パラメーター数: {sum(p.numel() for p in model.parameters()):,}")
