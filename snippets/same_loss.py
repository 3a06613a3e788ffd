import torch

from litdatamodule import LitDataModule
from litmodule import LitModule
from plain_loop import fit_plain
from quick import quick_trainer  # 数ステップで止まるデモ用（定義は付録）

data = LitDataModule()
data.prepare_data()
data.setup("fit")
torch.manual_seed(0)
print(f"PyTorch:   {fit_plain(LitModule().model, data.train_dataloader(), steps=30):.4f}")
torch.manual_seed(0)
trainer = quick_trainer(accelerator="cpu", max_steps=30, limit_val_batches=0)
trainer.fit(LitModule(), data)
print(f"Lightning: {trainer.callback_metrics['train_loss_step']:.4f}")
