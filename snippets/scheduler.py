import torch
from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用


class OneCycleModule(LitModule):
    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        steps = self.trainer.estimated_stepping_batches  # 学習全体のステップ数
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=10 * self.hparams.lr, total_steps=steps)
        return [optimizer], [{"scheduler": scheduler, "interval": "step"}]  # ステップごと

trainer = quick_trainer(max_steps=20)
trainer.fit(OneCycleModule(), LitDataModule())
scheduler = trainer.lr_scheduler_configs[0].scheduler
print(f"全体 {trainer.estimated_stepping_batches} ステップ、更新 {scheduler.last_epoch} 回")
