import matplotlib.pyplot as plt
import torch

from litdatamodule import LitDataModule
from litmodule import LitModule

model = LitModule.load_from_checkpoint("ckpt/best.ckpt").eval()
data = LitDataModule()
data.setup("test")
x, y = next(iter(data.test_dataloader()))
with torch.no_grad():
    pred = model(x.to(model.device)).argmax(dim=1).cpu()
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for ax, image, p, label in zip(axes, x, pred, y):
    ax.imshow(image[0], cmap="gray_r")
    ax.set_title(f"{p}" if p == label else f"{p}≠{label}", color="black" if p == label else "#D55E00")
    ax.set_axis_off()
fig.savefig("predictions.png")
