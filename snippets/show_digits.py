import matplotlib.pyplot as plt

from litdatamodule import LitDataModule

data = LitDataModule()
data.prepare_data()
data.setup("fit")  # fit の前に Trainer が呼ぶのと同じ
fig, axes = plt.subplots(1, 10, figsize=(10, 1.4))
for ax, (x, y) in zip(axes, data.train_set):  # x：1×28×28 のテンソル、y：ラベル
    ax.imshow(x[0], cmap="gray_r")
    ax.set_title(y)
    ax.set_axis_off()
fig.savefig("digits.png")
