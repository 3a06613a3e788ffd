# plain_loop.py
import torch
import torch.nn.functional as F


def fit_plain(model, loader, steps, lr=2e-3, device="cpu"):
    model.to(device)  # モデルをデバイスへ
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()  # 学習モードにする
    for _, (x, y) in zip(range(steps), loader):  # steps バッチだけ学習する
        x, y = x.to(device), y.to(device)  # バッチもデバイスへ
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()
