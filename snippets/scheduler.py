import torch
from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用


class OneCycleModule(LitModule):
    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        steps = self.trainer.estimated_stepping_batches  # 学習全体のステップ数
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, 10 * self.hparams.lr, steps)
        return [optimizer], [{"scheduler": scheduler, "interval": "step"}]  # ステップごとに更新


trainer = quick_trainer(max_steps=20)
trainer.fit(OneCycleModule(), LitDataModule())
print(trainer.estimated_stepping_batches, f"{trainer.optimizers[0].param_groups[0]['lr']:.1e}")
