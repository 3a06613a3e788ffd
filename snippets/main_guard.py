from torch.utils.data import DataLoader

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用


class ParallelDataModule(LitDataModule):
    def train_dataloader(self):  # 2 つのワーカーで読み込む
        return DataLoader(self.train_set, self.batch_size, shuffle=True, num_workers=2)


if __name__ == "__main__":  # ないと spawn・forkserver で RuntimeError になる
    trainer = quick_trainer(max_steps=5, limit_val_batches=0)
    trainer.fit(LitModule(), ParallelDataModule())
    print(trainer.global_step, trainer.train_dataloader.num_workers)  # ステップ数、ワーカー数
