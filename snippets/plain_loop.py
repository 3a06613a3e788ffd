# plain_loop.py
import torch
import torch.nn.functional as F


def fit_plain(model, data, steps: int, lr: float = 1e-2) -> float:
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    model.train()
    for step, (x, y) in enumerate(data.train_dataloader()):
        if step == steps:
            break
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
    return loss.item()
