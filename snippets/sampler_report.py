# sampler_report.py
from pathlib import Path

import pytorch_lightning as pl


class SamplerReport(pl.Callback):
    def on_train_start(self, trainer, module):
        sampler = trainer.train_dataloader.sampler
        Path(f"rank{trainer.global_rank}.txt").write_text(
            f"rank {trainer.global_rank}: {type(sampler).__name__}, {len(sampler)} 枚\n"
        )
