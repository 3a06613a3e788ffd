import torch

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer

torch.manual_seed(0)
trainer = quick_trainer(accelerator="cpu", max_steps=30, limit_val_batches=0)  # ループと同じ CPU で
trainer.fit(LitModule(), LitDataModule())
print(f"30 ステップ後の loss: {trainer.callback_metrics['train_loss']:.4f}")
