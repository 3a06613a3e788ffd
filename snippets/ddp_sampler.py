from pathlib import Path

from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer  # 数ステップで止まるデモ用
from rank_report import RankReport

for old in Path().glob("rank*.txt"):  # 前の実行のファイルを消す
    old.unlink()
trainer = quick_trainer(accelerator="cpu", devices=2, strategy="ddp_fork",
                        max_steps=1, callbacks=[RankReport()])
trainer.fit(LitModule(), LitDataModule())
print("".join(p.read_text() for p in sorted(Path().glob("rank*.txt"))), end="")
