# rank_report.py
from pathlib import Path

import pytorch_lightning as pl


class RankReport(pl.Callback):  # ランクと担当する枚数を rank<N>.txt に書く
    def on_train_start(self, trainer, module):
        sampler = trainer.train_dataloader.sampler
        Path(f"rank{trainer.global_rank}.txt").write_text(
            f"global_rank={trainer.global_rank} node_rank={trainer.node_rank} "
            f"world_size={trainer.world_size}  {type(sampler).__name__}: "
            f"{len(sampler):,} / {len(sampler.dataset):,} 枚\n"
        )
