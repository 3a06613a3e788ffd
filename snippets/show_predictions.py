from pathlib import Path

import matplotlib.pyplot as plt

from litdatamodule import LitDataModule
from litmodule import LitModule

run = max(Path("lightning_logs").glob("version_*"), key=lambda p: p.stat().st_mtime)
model = LitModule.load_from_checkpoint(run / "checkpoints/best.ckpt").eval()
data = LitDataModule()
data.prepare_data()
data.setup("test")
x, y = next(iter(data.test_dataloader()))  # テスト画像の先頭 10 枚を描く
pred = model(x.to(model.device)).argmax(dim=1).cpu()  # 整数の予測：勾配はつながらない
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for ax, image, p, label in zip(axes, x, pred, y):
    ax.imshow(image[0], cmap="gray_r")
    title, color = (f"{p}", "black") if p == label else (f"{p}≠{label}", "#D55E00")
    ax.set_title(title, color=color)
    ax.set_axis_off()
fig.savefig("predictions.png")
