import torch
import torch.nn.functional as F

from litdatamodule import LitDataModule
from litmodule import LitModule

torch.manual_seed(0)
data = LitDataModule()
data.prepare_data()
data.setup("fit")
model = LitModule().model
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=30)

model.train()
for step, (x, y) in enumerate(data.train_dataloader()):
    if step == 30:
        break
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    scheduler.step()
print(f"30 ステップ後の loss: {loss.item():.4f}")
