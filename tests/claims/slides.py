"""The slide headings the claims name (a renamed heading is one edit here), and the checked outputs that
claims of several section modules cite."""

WHAT = "PyTorch Lightning とは"
INSTALL = "インストール"
MODULE_1, MODULE_2, MODULE_3 = ("LightningModule（1/3）：モデル", "LightningModule（2/3）：学習の 1 ステップ",
                                "LightningModule（3/3）：検証とオプティマイザー")
DATA_1, DATA_2, DATA_3 = ("データ（1/3）：LightningDataModule", "データ（2/3）：ダウンロードと分割",
                          "データ（3/3）：DataLoader を返す")
SAME = "`Trainer` は、いつものループと同じ計算をしている"
FAST = "まず `fast_dev_run` で通す"
TRAIN = "`Trainer`：学習して、最良の重みでテストする"
RUNS = "実行ごとのフォルダーに、記録と重みが残る"
PREDICT = "学習とは別のプログラムで予測する"
GPU = "GPU の選び方：共有サーバーでは使う GPU を決める"
OWN = "自分のデータに置き換える：データで変わる値"
PITFALLS = "つまずきやすいところ"
SUMMARY = "まとめ"

TABULAR_2, TABULAR_3 = "付録：自分のデータで（2/5）：CSV から Dataset", "付録：自分のデータで（3/5）：統計をモデルに持たせる"
TABULAR_4, TABULAR_5 = "付録：自分のデータで（4/5）：学習してテストする", "付録：自分のデータで（5/5）：別のプロセスで確かめる"
QUICK = "付録：デモ用の小さな Trainer"
CURVE = "付録：学習曲線を描く"
DIGITS = "付録：データを見る"
PREDICTIONS = "付録：予測を図で見る"
NO_DM = "付録：DataModule を使わない"
SCHED = "付録：学習率スケジューラー"
GUARD = "付録：`num_workers` を増やすときのガード"
SIX = "付録：Lightning の 6 つの特徴"
HOOKS_1, HOOKS_2 = "付録：特徴 3：残りは `Trainer` が自動で行う（1/2）", "付録：特徴 3：残りは `Trainer` が自動で行う（2/2）"
DEVICE = "付録：特徴 4：`.cuda()` や `.to()` は不要"
DDP_1, DDP_2 = "付録：特徴 5 `DistributedSampler` は自動（1/2）", "付録：特徴 5 `DistributedSampler` は自動（2/2）"
MODULE = "付録：特徴 6：`LightningModule` は `nn.Module`"
STRATEGY = "付録：分散学習の `strategy` の選び方"
CLI_1, CLI_2, CLI_3 = ("付録：`LightningCLI`（1/3）：`cli.py`", "付録：`LightningCLI`（2/3）：設定ファイル",
                       "付録：`LightningCLI`（3/3）：学習とテスト")
NODES_1, NODES_2 = "付録：複数ノード（1/2）：予行演習", "付録：複数ノード（2/2）：クラスター"
SLURM = "付録：SLURM（1/3）：`sbatch` で 2 ノード"
SLURM_GPU = "付録：SLURM（2/3）：GPU クラスターでは"
SLURM_CHECKS = "付録：SLURM（3/3）：割り当て・出力・エラー"
QUIET = "付録：表示を整える"

# checked outputs: hook_order.py's first step, check_tabular.py's buffers read back in a new process
STEP_0 = "学習 0（training=True）: zero_grad → backward → step"
STATISTICS_CAME_BACK = "学習用の統計も戻った: True"
HALF = "DistributedSampler: 27,000 / 54,000 枚"  # ddp_sampler.py, two_nodes.sh, slurm_sbatch.sh: each rank's share
