import pytorch_lightning as pl
import torch


class Recorder(pl.Callback):  # Trainer が呼ぶフックで、そのときの状態を表示する
    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        print(f"学習 {batch_idx}（training={module.training}）:", end="")

    def on_before_zero_grad(self, *args):
        print(" zero_grad", end="")

    def on_before_backward(self, *args):
        print(" → backward", end="")

    def on_before_optimizer_step(self, *args):
        print(" → step")

    def on_validation_batch_start(self, trainer, module, *args):
        print(f"検証（training={module.training}、grad={torch.is_grad_enabled()}）")

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用

quick_trainer(callbacks=[Recorder()]).fit(LitModule(), LitDataModule())
