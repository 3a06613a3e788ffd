"""Claims of the appendix: your own data (the CSV example), the demo Trainer (and the main part's fast_dev_run),
figures, DataLoaders without a DataModule, the scheduler, worker processes, distributed training, LightningCLI,
several nodes, the display filter (SLURM: test_slurm; the six features' slides: test_features)."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.demos.boring_classes import BoringModel, RandomDataset
from torch.utils.data import DataLoader

from .ledger import Claim, Docs, Shown, claims, docs, shown
from .lightning_fakes import Logs, Scored, fake_gpus, interactive, launcher, tiny_fit, trainer
from .slides import (CLI_1, CLI_2, CLI_3, CURVE, DATA_3, DDP_1, DDP_2, FAST, GUARD, HALF, NO_DM, NODES_1,
                     NODES_2, QUICK, QUIET, SCHED, STATISTICS_CAME_BACK, STRATEGY, SUMMARY, TABULAR_3, TABULAR_4,
                     TABULAR_5, TRAIN)

RANKS_1 = "global_rank=1 node_rank=1 world_size=2  " + HALF
START_METHODS = "https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods"
GPU_INTERMEDIATE = "https://lightning.ai/docs/pytorch/stable/accelerators/gpu_intermediate.html"
TORCHRUN = "https://lightning.ai/docs/pytorch/stable/clouds/cluster_intermediate_2.html"
CHECKED_WITH = "2.6.6"  # the version the deck states it was checked with (インストール)

shown(
    Shown(TABULAR_3, "重みと一緒にチェックポイントへ保存されるので、別のプロセスで読み込んでも同じ前処理で予測できます。",
          "check_tabular.py", STATISTICS_CAME_BACK),
    Shown(TABULAR_5, "学習を終えたら、新しいプロセスで最良の重みを読み込み、テスト用の行を予測します。", "check_tabular.py",
          "多数派のクラスより正確: True"),
    Shown(TABULAR_5, "バッファーに入れた平均と標準偏差も、チェックポイントから戻っています。", "check_tabular.py",
          STATISTICS_CAME_BACK),
    Shown(QUICK, "特徴を確かめるためだけの設定。数ステップで止まり", "hook_order.py",
          "学習 1（training=True）: zero_grad → backward → step\n検証（training=False、grad=False）\n"),
    Shown(QUICK, "max_steps で 2 ステップで止め、検証も 1 バッチだけにしています。", "hook_order.py",
          "学習 1（training=True）: zero_grad → backward → step\n検証（training=False、grad=False）\n"),
    Shown(QUICK, "使っているのは `Trainer` の普通の引数だけで、渡した引数で上書きできる", "scheduler.py", "20 "),
    Shown(NO_DM, "`DataLoader` をそのまま `fit` に渡す", "plain_dataloaders.py", "5"),
    Shown(NO_DM, "DataModule がなくても学習できます。", "plain_dataloaders.py", "5"),
    Shown(SCHED, "return [optimizer], [{\"scheduler\": scheduler, \"interval\": \"step\"}]  # ステップごと",
          "scheduler.py", "更新 20 回"),
    Shown(SCHED, "interval を step にしたので、スケジューラーも 20 回更新されました。", "scheduler.py", "全体 20 ステップ、更新 20 回"),
    Shown(GUARD, "def train_dataloader(self):  # 2 つのワーカーで読み込む", "main_guard.py", "5 2\n"),
    Shown(DDP_2, "CPU の 2 プロセスで分散学習（gloo）。`DataLoader` にはサンプラーを渡していない", "ddp_sampler.py",
          "global_rank=1 node_rank=0 world_size=2  DistributedSampler"),
    Shown(DDP_2, "2 つのプロセスが、それぞれ DistributedSampler で 54,000 枚の半分ずつを受け持っています。", "ddp_sampler.py", HALF),
    Shown(DDP_1, "分散学習では、同じスクリプトが複数のプロセスで動きます。", "ddp_sampler.py", "global_rank=1"),
    Shown(CLI_1, "クラスターでは、torchrun や srun がプロセスごとにこのファイルを実行します。", "two_nodes.sh",
          "global_rank=1 node_rank=1 world_size=2"),
    Shown(CLI_2, "init_args: {monitor: val_loss, filename: best}  # 実行ごとのフォルダーに保存", "cli_run.sh",
          "checkpoints\nconfig.yaml\nhparams.yaml\n"),
    Shown(CLI_3, "設定ファイルも、記録と重みと同じ実行ごとのフォルダーに残る", "cli_run.sh",
          "checkpoints\nconfig.yaml\nhparams.yaml\n"),
    Shown(CLI_3, "テストには、同じ設定ファイルと、いま学習した実行の best.ckpt を渡します。", "cli_run.sh", "test_acc"),
    Shown(NODES_1, "クラスターと同じコマンドで試す", "two_nodes.sh", "global_rank=1 node_rank=1 world_size=2"),
    Shown(NODES_1, "for NODE in 0 1; do  # クラスターでは、この torchrun を各ノードで 1 回ずつ実行する", "two_nodes.sh",
          "global_rank=0 node_rank=0 world_size=2  " + HALF + "\n" + RANKS_1),
    Shown(NODES_1, "2 つのノードがランデブー、つまり待ち合わせで合流し、DistributedSampler が 54,000 枚を半分ずつに分けました。",
          "two_nodes.sh", RANKS_1),
    Shown(NODES_1, "RankReport は、特徴 5 の付録で作ったコールバックを引数で足しています。", "two_nodes.sh", HALF),
)

docs(
    Docs(GUARD, "macOS、Windows、Python 3.14 以降の Linux では、ワーカーがスクリプトを読み込み直します。", START_METHODS),
    Docs(GUARD, "macOS と Windows は spawn、Python 3.14 以降の Linux は forkserver が既定で、ガードがないと止まります。",
         START_METHODS),
    Docs(STRATEGY, "スクリプト | `\"ddp\"` | 推奨", GPU_INTERMEDIATE),
    Docs(STRATEGY, "`\"ddp_spawn\"` | 公式には非推奨", GPU_INTERMEDIATE),
    Docs(STRATEGY, "Windows の PyTorch には NCCL がありません。", "https://pytorch.org/docs/stable/distributed.html"),
    Docs(NODES_2, "`on_node`・`for`・`wait_nodes` は予行演習用（クラスターでは各ノードで `torchrun` を実行する）", TORCHRUN),
    Docs(NODES_2, "全ノードのコマンドは同じで、rdzv-id はジョブごとに変えます。", TORCHRUN),
    Docs(NODES_2, "公式ドキュメントは node_rank と master_addr を指定する書き方で、どちらも使えます。", TORCHRUN),
)


# --------------------------------------------------------------------------------------------
# fast_dev_run and the demo Trainer, figures


@claims(Claim(QUICK, "数ステップで止まり、記録もチェックポイントも残さない"),
        Claim(QUICK, "`fast_dev_run=N` と違い、学習と検証のバッチ数を別々に選べる"),
        Claim(QUICK, "fast_dev_run に整数を渡しても数バッチで止まりますが、記録やチェックポイントや EarlyStopping は必ず無効になり、"
                     "検証も同じ数のバッチになります。"),
        Claim(NODES_1, "fast_dev_run=5 なので、実際に学習したのは各ノード 5 バッチだけです。"),
        Claim(FAST, "整数を渡すと、その数のバッチを通します。"),
        Claim(FAST, "長い学習の前に、学習と検証を 1 バッチずつ通してバグを探す"),
        Claim(FAST, "trainer = pl.Trainer(fast_dev_run=True, devices=1)  # 記録もチェックポイントも残さない"),
        Claim(FAST, "fast_dev_run は、学習と検証を 1 バッチずつ通すだけの引数です。"),
        Claim(FAST, "最後まで動くかを数秒で確かめられます。"),
        Claim(FAST, "記録もチェックポイントも残さないので、フォルダーは汚れません。"),
        Claim(SUMMARY, "まず `fast_dev_run`。"))
def test_fast_dev_run_leaves_nothing_even_with_a_given_logger_and_the_demo_flags_choose_each_count(quiet):
    from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
    from pytorch_lightning.loggers import CSVLogger
    from pytorch_lightning.loggers.logger import DummyLogger

    quick = dict(max_steps=2, val_check_interval=2, limit_val_batches=1, devices=1, num_sanity_val_steps=0,
                 enable_progress_bar=False, enable_model_summary=False, logger=False, enable_checkpointing=False)
    t = pl.Trainer(accelerator="cpu", **quick)
    t.fit(BoringModel())
    assert t.global_step == 2 and not list(quiet.iterdir())
    kept = pl.Trainer(accelerator="cpu", **(quick | {"max_steps": 3, "limit_val_batches": 2, "logger": CSVLogger(quiet)}))
    assert (kept.max_steps, kept.limit_val_batches, type(kept.logger)) == (3, 2, CSVLogger)  # each chosen on its own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = pl.Trainer(fast_dev_run=True, logger=CSVLogger(quiet), enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", devices=1, max_epochs=100)
    assert (one.limit_train_batches, one.limit_val_batches, one.num_sanity_val_steps, one.max_steps) == (1, 1, 0, 1)
    assert [type(lg) for lg in one.loggers] == [DummyLogger]
    one.fit(Logs())
    assert one.global_step == 1 and one.current_epoch == 1  # one batch of training, one of validation, then done
    stop = EarlyStopping(monitor="val_loss", patience=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dev = pl.Trainer(fast_dev_run=5, logger=CSVLogger(quiet), accelerator="cpu", devices=1, enable_progress_bar=False,
                         callbacks=[ModelCheckpoint(dirpath=quiet / "ckpt"), stop])
    assert [type(lg) for lg in dev.loggers] == [DummyLogger]  # fast_dev_run drops the logger it is given
    assert (dev.max_steps, dev.limit_train_batches, dev.limit_val_batches) == (5, 5, 5)  # one N for both
    assert stop._should_skip_check(dev)  # and EarlyStopping never checks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dev.fit(BoringModel())
    assert dev.global_step == 5 and not list(quiet.rglob("*.ckpt")) and not list(quiet.rglob("*.csv"))  # after both


@claims(Claim(CURVE, "matplotlib の既定のフォントには日本語がないので、図の文字は英語にしています。"))
def test_matplotlibs_default_font_has_no_japanese():
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParamsDefault["font.family"]))
    font = FT2Font(path)
    assert font.get_char_index(ord("A")) != 0 and font.get_char_index(ord("学")) == 0


# --------------------------------------------------------------------------------------------
# the scheduler


class OneCycle(Scored):
    """OneCycleLR stepped at every step over the total the Trainer estimates; records each step's rate. Its
    val_loss never improves."""

    def __init__(self):
        super().__init__([1.0])
        self.rates = []

    def configure_optimizers(self):
        self.total = self.trainer.estimated_stepping_batches
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, 1.0, self.total)
        return [optimizer], [{"scheduler": scheduler, "interval": "step"}]

    def on_train_batch_start(self, batch, batch_idx):
        self.rates.append(self.optimizers().param_groups[0]["lr"])


@claims(Claim(SCHED, "configure_optimizers は、オプティマイザーと一緒にスケジューラーも返せます。"),
        Claim(SCHED, "OneCycleLR は、学習率を上げてから下げるスケジューラーで、全体のステップ数を前もって知る必要があります。"),
        Claim(SCHED, "steps = self.trainer.estimated_stepping_batches  # 学習全体のステップ数"),
        Claim(SCHED, "estimated_stepping_batches は、max_epochs か max_steps から数えた全体のステップ数です。"))
def test_onecycle_goes_up_then_down_once_per_step_over_the_estimated_total(quiet):
    models = []
    for flags in (dict(max_epochs=1), dict(max_epochs=3), dict(max_epochs=3, max_steps=4), dict(max_steps=20),
                  dict(max_steps=2, max_epochs=None)):
        models.append(OneCycle())
        tiny_fit(**({"max_steps": -1, "limit_train_batches": 10, "limit_val_batches": 0} | flags)).fit(models[-1])
    assert [model.total for model in models] == [10, 30, 4, 20, 2]  # the total, as configure_optimizers saw it
    rates = models[0].rates
    top = rates.index(max(rates))
    assert len(rates) == 10 and len(set(rates)) == 10  # a new rate at every step
    assert 0 < top < 9 and rates[:top + 1] == sorted(rates[:top + 1]) and rates[top:] == sorted(rates[top:], reverse=True)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="total_steps"):
        torch.optim.lr_scheduler.OneCycleLR(optimizer, 1.0)  # it must be told how many steps there are


@claims(Claim(SCHED, "EarlyStopping で途中で止めるなら、ReduceLROnPlateau を使い、辞書に monitor として val_loss も書きます。"),
        Claim(SCHED, "OneCycleLR は途中で止めると下がりきりません。"))
def test_early_stopping_cuts_onecycle_short_and_plateau_follows_the_metric(quiet):
    from pytorch_lightning.callbacks import EarlyStopping

    flags = dict(max_steps=-1, max_epochs=10, limit_train_batches=4, limit_val_batches=1)
    t = tiny_fit(callbacks=[EarlyStopping(monitor="val_loss", patience=1)], **flags)
    t.fit(OneCycle())
    assert t.current_epoch < 10 and t.optimizers[0].param_groups[0]["lr"] > 0.1  # stopped high, not annealed

    class Plateau(Scored):
        def configure_optimizers(self):
            optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"}}

    t = tiny_fit(**(flags | {"max_epochs": 3}))
    t.fit(Plateau([1.0]))  # val_loss never improves
    assert t.optimizers[0].param_groups[0]["lr"] < 0.1  # lowered when val_loss stopped improving


# --------------------------------------------------------------------------------------------
# worker processes and the __main__ guard


@claims(Claim(GUARD, "macOS と Windows は spawn"),
        Claim(STRATEGY, "Windows では使えない"))
def test_macos_and_windows_start_processes_with_spawn_and_windows_has_no_fork(monkeypatch):
    code = ("import sys; sys.platform = {!r}; import multiprocessing.context as c; "
            "print(c._default_context.get_start_method())")
    got = {p: subprocess.run([sys.executable, "-c", code.format(p)], capture_output=True, text=True).stdout.strip()
           for p in ("darwin", "linux")}
    assert got == {"darwin": "spawn", "linux": "fork"}  # (this Python is older than 3.14)
    ctx = multiprocessing.context._default_context
    for platform, has_fork in (("linux", True), ("darwin", True), ("win32", False)):
        monkeypatch.setattr(sys, "platform", platform)
        assert ("fork" in ctx.get_all_start_methods()) is has_fork, platform
    assert ctx.get_all_start_methods() == ["spawn"]  # on win32
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(torch.multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # as on Windows
    with pytest.raises(ValueError, match="process forking is not supported on this platform"):
        trainer(accelerator="cpu", devices=2, strategy="ddp_fork")


@claims(Claim(GUARD, "if __name__ == \"__main__\":  # ないと spawn・forkserver で RuntimeError になる"),
        Claim(GUARD, "ガードの下は、ワーカーが読み込み直したときには実行されません。"),
        Claim(GUARD, "Python 3.13 までの Linux は fork なので起きません。"),
        Claim(GUARD, "num_workers が 0 のままなら、ガードがなくても動きます。"),
        Claim(CLI_1, "if __name__ == \"__main__\":  # spawn・forkserver で読み込み直されたときは学習しない"),
        Claim(TRAIN, "if __name__ == \"__main__\":  # DataLoader のワーカーを増やすときに必要（付録）"),
        Claim(TABULAR_4, "if __name__ == \"__main__\":  # num_workers を増やすときに必要"),
        Claim(DATA_3, "増やすときは次の `train.py` のガードが要る"))
def test_without_the_guard_spawn_and_forkserver_fail_and_fork_does_not(tmp_path):
    # DataLoader workers are processes of the default multiprocessing context, so a plain Process
    # without the guard shows what a worker meets, without torch.
    assert torch.multiprocessing.get_context is multiprocessing.get_context
    assert DataLoader(range(4), num_workers=0)._get_iterator().__class__.__name__ == "_SingleProcessDataLoaderIter"
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing, sys
        print("main as", __name__)
        worker = multiprocessing.get_context(sys.argv[1]).Process(target=print, args=("worker",))
        worker.start()
        worker.join()
        print("exit", worker.exitcode)
    """))
    run = lambda method: subprocess.run([sys.executable, str(script), method], capture_output=True, text=True, timeout=60)  # noqa: E731
    for method in ("spawn", "forkserver"):  # both import the main script again, as __mp_main__
        started = run(method)
        assert "RuntimeError" in started.stderr and "bootstrapping phase" in started.stderr, method
        assert "exit 1" in started.stdout and "main as __mp_main__" in started.stdout, method
    assert run("fork").stdout.split() == ["main", "as", "__main__", "worker", "exit", "0"]


# --------------------------------------------------------------------------------------------
# distributed


@claims(Claim(DDP_1, "1 回だけ表示・保存するなら `if trainer.is_global_zero:`。`LightningModule` の中は `self.print()`"),
        Claim(DDP_1, "1 回だけでよい表示や保存は、ランク 0 のプロセスだけで行います。"),
        Claim(DDP_1, "print すると全プロセスの出力が混ざる"))
def test_is_global_zero_and_self_print_act_once(quiet):
    class Once(BoringModel):
        def on_train_start(self):
            with open(f"printed{self.global_rank}.txt", "w") as out:
                print("print", file=out)
                self.print("self.print", file=out)
            if self.trainer.is_global_zero:
                Path("saved.txt").write_text("once")

    tiny_fit(devices=2, strategy="ddp_fork", max_steps=1, limit_val_batches=0).fit(Once())
    assert Path("printed0.txt").read_text().split() == ["print", "self.print"]
    assert Path("printed1.txt").read_text().split() == ["print"]  # print runs in every process, self.print once
    assert Path("saved.txt").read_text() == "once"


@claims(Claim(DDP_2, "CPU の 2 プロセスで分散学習（gloo）"),
        Claim(STRATEGY, "GPU の分散学習は既定で NCCL を使います"),
        Claim(STRATEGY, "Windows の GPU では、DDPStrategy に process_group_backend として gloo を渡します。"))
def test_cpu_ddp_uses_gloo_and_cuda_defaults_to_nccl(monkeypatch):
    from lightning_fabric.utilities.distributed import _get_default_process_group_backend_for_device
    from pytorch_lightning.strategies import DDPStrategy

    assert trainer(accelerator="cpu", devices=2).strategy._get_process_group_backend() == "gloo"
    assert _get_default_process_group_backend_for_device(torch.device("cuda")) == "nccl"
    fake_gpus(monkeypatch, 2)
    assert trainer(accelerator="gpu", devices=2).strategy._get_process_group_backend() == "nccl"
    chosen = trainer(accelerator="gpu", devices=2, strategy=DDPStrategy(process_group_backend="gloo"))
    assert chosen.strategy._get_process_group_backend() == "gloo"


@claims(Claim(DDP_2, "ノートブックでも動くよう、strategy は ddp_fork にしています。"),
        Claim(STRATEGY, "`\"ddp_notebook\"`（= `\"ddp_fork\"`）"),
        Claim(STRATEGY, "`devices` が 2 以上なら `\"auto\"` でも選ばれる"),
        Claim(STRATEGY, "既定の `\"auto\"` でもこれが選ばれる"),
        Claim(STRATEGY, "`\"ddp_spawn\"` | 公式には非推奨（ノートブックでは使えない）"),  # (公式には非推奨: the docs entry)
        Claim(STRATEGY, "そのため Lightning は、ノートブックでは fork 以外の ddp と ddp_spawn をエラーにします。"))
def test_auto_is_ddp_in_a_script_and_fork_in_a_notebook_which_refuses_ddp_and_ddp_spawn(monkeypatch):
    from lightning_fabric.utilities.exceptions import MisconfigurationException
    from pytorch_lightning.strategies import StrategyRegistry

    assert StrategyRegistry["ddp_notebook"]["init_params"]["start_method"] == "fork"
    assert StrategyRegistry["ddp_fork"]["init_params"]["start_method"] == "fork"
    script = trainer(accelerator="cpu", devices=2)
    assert (type(script.strategy).__name__, launcher(script)) == ("DDPStrategy", "_SubprocessScriptLauncher")
    interactive(monkeypatch)
    notebook = trainer(accelerator="cpu", devices=2)
    assert (launcher(notebook), notebook.strategy.launcher._start_method) == ("_MultiProcessingLauncher", "fork")
    assert trainer(accelerator="cpu", devices=2, strategy="ddp_fork").strategy.launcher.is_interactive_compatible
    for strategy in ("ddp", "ddp_spawn"):
        with pytest.raises(MisconfigurationException, match="not compatible with an interactive environment"):
            trainer(accelerator="cpu", devices=2, strategy=strategy)


# --------------------------------------------------------------------------------------------
# LightningCLI


class CliModel(BoringModel):
    def __init__(self, lr: float = 1e-2):
        super().__init__()
        self.lr = lr

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", super().validation_step(batch, batch_idx)["x"])


class CliData(pl.LightningDataModule):
    def __init__(self, batch_size: int = 128):
        super().__init__()
        self.batch_size = batch_size

    def train_dataloader(self):
        return DataLoader(RandomDataset(32, 16), batch_size=4)

    val_dataloader = test_dataloader = train_dataloader


@claims(Claim(CLI_1, "各クラスの引数がそのまま引数になる：`python cli.py fit --model.lr=0.004 --data.batch_size=256`"),
        Claim(CLI_1, "LightningCLI は、各クラスの init の引数と型ヒントから、コマンドラインの引数を作ります。"),
        Claim(CLI_1, "一覧は fit の help で、今の設定は print_config で YAML として見られます。"),
        Claim(CLI_1, "fit、validate、test、predict がサブコマンドになります。"))
def test_lightning_cli_makes_flags_from_the_signatures(quiet, capsys):
    from pytorch_lightning.cli import LightningCLI

    assert list(LightningCLI.subcommands()) == ["fit", "validate", "test", "predict"]
    cli = LightningCLI(CliModel, CliData, run=False, trainer_defaults={"logger": False, "enable_progress_bar": False},
                       args=["--trainer.max_epochs=10", "--model.lr=0.004", "--data.batch_size=256"])
    assert (cli.trainer.max_epochs, cli.model.lr, cli.datamodule.batch_size) == (10, 0.004, 256)
    with pytest.raises(SystemExit):
        LightningCLI(CliModel, CliData, args=["fit", "--help"])
    shown = capsys.readouterr().out
    assert "--model.lr LR" in shown and "--data.batch_size BATCH_SIZE" in shown and "(type: float" in shown
    with pytest.raises(SystemExit):
        LightningCLI(CliModel, CliData, args=["fit", "--model.lr=0.02", "--print_config"])
    assert "lr: 0.02" in capsys.readouterr().out  # YAML


CONFIG = """\
seed_everything: 42
trainer:
  max_epochs: 10
  accelerator: cpu
  devices: 1
  logger: false
  enable_progress_bar: false
  enable_model_summary: false
  callbacks:
    - class_path: pytorch_lightning.callbacks.ModelCheckpoint
      init_args: {dirpath: cli_checkpoints, filename: best, monitor: val_loss}
    - class_path: pytorch_lightning.callbacks.EarlyStopping
      init_args: {monitor: val_loss, patience: 3}
model:
  lr: 0.001
"""


@claims(Claim(CLI_1, "コールバック、シード、ハイパーパラメーターは、次のスライドの設定ファイルに書く"),
        Claim(CLI_2, "設定ファイルには、Trainer のコールバック、乱数のシード、モデルとデータの引数をまとめて書けます。"),
        Claim(CLI_2, "class_path は作るクラスの名前、init_args はその引数です。"),
        Claim(CLI_2, "実験ごとに設定ファイルを残しておけば、同じ条件で何度でも学習し直せます。"),
        Claim(CLI_3, "設定ファイルより後に書いた引数が優先されます。"),
        Claim(CLI_3, "テストには、同じ設定ファイルと、いま学習した実行の best.ckpt を渡します。"))
def test_a_config_file_brings_seed_callbacks_and_arguments(quiet):
    from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
    from pytorch_lightning.cli import LightningCLI

    Path("experiment.yaml").write_text(CONFIG)  # (config.yaml is what LightningCLI saves in the log folder)
    runs = []
    for _ in range(2):
        cli = LightningCLI(CliModel, CliData, save_config_kwargs={"overwrite": True}, args=["fit", "--config", "experiment.yaml", "--trainer.max_epochs=2",
                                                    "--trainer.limit_train_batches=2"])
        assert cli.trainer.max_epochs == 2  # the flag after the file wins
        assert cli.config["fit"]["seed_everything"] == 42 and cli.model.lr == 0.001
        kinds = {type(c) for c in cli.trainer.callbacks}
        assert {ModelCheckpoint, EarlyStopping} <= kinds and cli.trainer.checkpoint_callback.dirpath.endswith("cli_checkpoints")
        runs.append(cli.model.layer.weight.detach().clone())
        assert sorted(p.name for p in Path("cli_checkpoints").iterdir()) == ["best.ckpt"]
        shutil.rmtree("cli_checkpoints") if len(runs) == 1 else None
    assert torch.equal(*runs)  # the same file, the same run
    before = LightningCLI(CliModel, CliData, run=False,
                          args=["--trainer.max_epochs=1", "--config", "experiment.yaml"])
    assert before.trainer.max_epochs == 10  # a flag before the file is overridden by it
    tested = LightningCLI(CliModel, CliData, save_config_kwargs={"overwrite": True}, args=["test", "--config", "experiment.yaml",
                                                   "--ckpt_path", "cli_checkpoints/best.ckpt"])
    assert tested.trainer.ckpt_path.endswith("best.ckpt")


@claims(Claim(CLI_3, "--trainer.max_epochs=1 --trainer.limit_train_batches=0.05  # 資料用：自分の課題では消す"))
def test_limit_train_batches_takes_a_fraction_of_the_epoch(quiet):
    t = tiny_fit(max_steps=-1, max_epochs=1, limit_train_batches=0.05, limit_val_batches=0)
    t.fit(BoringModel(), DataLoader(RandomDataset(32, 844), batch_size=2))  # 422 batches, as MNIST's 54,000 / 128
    assert t.num_training_batches == 21 and t.global_step == 21


# --------------------------------------------------------------------------------------------
# several nodes (SLURM: test_slurm.py)


def _under_torchrun(monkeypatch, nodes: int, per_node: int) -> None:
    """Rank 0 of a torchrun job of `nodes` × `per_node` processes, as torchrun's environment says."""
    for key, value in dict(TORCHELASTIC_RUN_ID="mnist", RANK="0", LOCAL_RANK="0", GROUP_RANK="0",
                           WORLD_SIZE=str(nodes * per_node), LOCAL_WORLD_SIZE=str(per_node), MASTER_ADDR="head",
                           MASTER_PORT="29500", OMP_NUM_THREADS=str(torch.get_num_threads())).items():
        monkeypatch.setenv(key, value)  # (OMP_NUM_THREADS set: launching leaves this process's threads alone)


@claims(Claim(NODES_2, "`4`（`--nproc-per-node` と同じ）"),
        Claim(NODES_2, "`--trainer.num_nodes` は `--nnodes` と同じにする"),
        Claim(NODES_2, "1 ノード 1 プロセスで書き忘れると、エラーなしで各ノードが別々に学習する"),
        Claim(NODES_2, "devices と num_nodes の積がプロセスの総数と違うと Lightning はエラーにします。"),
        Claim(NODES_2, "ただし、1 ノードに 1 プロセスで num_nodes を書き忘れると、分散学習にならないまま各ノードが 1 つずつ学習してしまいます。"))
def test_torchrun_is_detected_and_its_sizes_must_match_the_trainer(monkeypatch):
    from lightning_fabric.plugins.environments import TorchElasticEnvironment

    _under_torchrun(monkeypatch, nodes=2, per_node=4)
    assert TorchElasticEnvironment.detect()
    right = trainer(accelerator="cpu", devices=4, num_nodes=2)
    assert type(right.strategy.cluster_environment) is TorchElasticEnvironment
    assert right.strategy.launcher.launch(lambda: "trained") == "trained"  # the launcher checks the sizes, then runs
    for devices, nodes in ((4, 1), (2, 2)):  # 4 × 1 or 2 × 2 processes, where torchrun started 8: an error
        with pytest.raises(ValueError, match="does not match the world size"):
            trainer(accelerator="cpu", devices=devices, num_nodes=nodes).strategy.launcher.launch(lambda: "trained")
    _under_torchrun(monkeypatch, nodes=2, per_node=1)  # one process per node, num_nodes forgotten:
    alone = trainer(accelerator="cpu", devices=1)
    assert (type(alone.strategy).__name__, launcher(alone), alone.world_size) == ("SingleDeviceStrategy", "none", 1)
    assert launcher(trainer(accelerator="cpu", devices=1, num_nodes=2)) == "_SubprocessScriptLauncher"  # when told


@claims(Claim(NODES_2, "c10d のランデブーでは node-rank は使われず、ノードの番号はホスト名の順に決まるので、HEAD のノードが 0 番とは限りません。"),
        Claim(NODES_2, "ランデブー役のノード（どれか 1 台）のホスト名"))
def test_c10d_ranks_the_nodes_by_host_name():
    from types import SimpleNamespace

    from torch.distributed.elastic.rendezvous import dynamic_rendezvous as rdzv

    head, other = rdzv._NodeDesc("node1", 100, 0), rdzv._NodeDesc("node0", 200, 0)  # HEAD is node1
    executor = object.__new__(rdzv._DistributedRendezvousOpExecutor)
    executor._state = rdzv._RendezvousState()
    executor._state.participants = {head: 0, other: 0}  # node-rank is not among what a node brings
    executor._node, executor._settings = head, SimpleNamespace(run_id="mnist-1")
    executor._record = lambda **kwargs: None
    executor._mark_rendezvous_complete()
    assert executor._state.participants == {other: 0, head: 1}  # node0 is rank 0, HEAD is not


# --------------------------------------------------------------------------------------------
# the display filter (its block is the deck's; the behaviour is tested here on its own code)

FILTER = """\
import logging
import warnings

import pytorch_lightning as pl

log = logging.getLogger(pl.utilities.rank_zero.__name__)
log.addFilter(lambda record: "Tip:" not in record.getMessage())
warnings.filterwarnings("ignore", ".*LeafSpec", FutureWarning)
"""


def _checked_version_only():
    if pl.__version__ != CHECKED_WITH:
        pytest.skip(f"the sentence is about Lightning {CHECKED_WITH}; installed: {pl.__version__}")


@claims(Claim(QUIET, "Lightning AI のサービスの案内（Tip）と、Lightning 自身のコードが原因の警告を止める"),
        Claim(QUIET, "log = logging.getLogger(pl.utilities.rank_zero.__name__)  # Lightning の情報を表示するロガー"),
        Claim(QUIET, "log.addFilter(lambda record: \"Tip:\" not in record.getMessage())  # Tip の行だけを落とす"),
        Claim(QUIET, "ほかの表示（`GPU available` の行やモデルの要約など）はそのまま残る"),
        Claim(QUIET, "Lightning 2.6 は、litlogger などを勧める Tip を表示します。"))
def test_the_filter_drops_only_lightnings_tips(quiet, rank_zero_log, caplog):
    _checked_version_only()
    pl.Trainer(accelerator="cpu", devices=1, enable_progress_bar=False)
    tips = [r for r in caplog.records if "💡 Tip" in r.getMessage()]
    assert tips and "litlogger" in tips[0].getMessage() and {r.name for r in tips} == {rank_zero_log.name}
    caplog.clear()
    with warnings.catch_warnings():
        exec(FILTER, {"__name__": "__main__"})
    t = pl.Trainer(enable_progress_bar=False, max_steps=1, limit_val_batches=0, accelerator="cpu", devices=1)
    t.fit(BoringModel())
    shown = caplog.text
    assert "Tip" not in shown and "litlogger" not in shown and "litmodels" not in shown
    assert "GPU available" in shown and "Trainable params" in shown and "`Trainer.fit` stopped" in shown


@claims(Claim(QUIET, "# Lightning のコードが出す torch の非推奨警告だけを止める"),
        Claim(QUIET, "LeafSpec の FutureWarning は、Lightning 2.6.6 が torch で非推奨になった LeafSpec を今も使っているために出ます。"),
        Claim(QUIET, "どちらも利用者が対処するものではありません。止める警告は、この 1 つに限っています。"))
def test_the_filter_silences_the_leafspec_futurewarning_only():
    _checked_version_only()
    from pytorch_lightning.utilities import _pytree

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _pytree._tree_flatten(1.0)  # Lightning's own code, called by every fit
    assert [(w.category, Path(w.filename).name) for w in caught] == [(FutureWarning, "_pytree.py")]
    assert "LeafSpec" in str(caught[0].message) and "pytorch_lightning" in caught[0].filename
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(FILTER, {"__name__": "__main__"})
        _pytree._tree_flatten(1.0)
        warnings.warn("another FutureWarning", FutureWarning)
    assert [str(w.message) for w in caught] == ["another FutureWarning"]
