# recorder.py
import pytorch_lightning as pl
import torch


class Recorder(pl.Callback):
    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        print(f"学習バッチ {batch_idx}: training={module.training}")

    def on_before_zero_grad(self, *args):
        print("  zero_grad")

    def on_before_backward(self, *args):
        print("  backward")

    def on_before_optimizer_step(self, *args):
        print("  optimizer.step")

    def on_validation_batch_start(self, trainer, module, *args):
        print(f"検証バッチ: training={module.training}, grad={torch.is_grad_enabled()}")
