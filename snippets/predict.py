import torch

from litdatamodule import LitDataModule
from litmodule import LitModule

model = LitModule.load_from_checkpoint("ckpt/best.ckpt")  # lr なども戻る
model.eval()  # Trainer の外では、評価モードと勾配の停止を自分で行う
data = LitDataModule()
data.prepare_data()
data.setup("test")  # 新しいプロセスでは、使う stage を自分で準備する
x, y = next(iter(data.test_dataloader()))  # テスト画像の先頭 128 枚
with torch.no_grad():
    pred = model(x.to(model.device)).argmax(dim=1).cpu()
print("128 枚中 120 枚以上正解:", (pred == y).sum().item() >= 120)
