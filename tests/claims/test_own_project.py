"""Claims for a student's own small project (issue 31): where a run's files go, testing the best weights,
per-epoch logging, what resuming restores, exact test metrics under DDP, preprocessing statistics kept in the
module (a split by fractions, the CPU-only torch install: test_basics; max_epochs as a cap: test_training)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from pytorch_lightning.demos.boring_classes import BoringModel
from torch.utils.data import DataLoader, Dataset

from .ledger import Claim, claims
from .lightning_fakes import Logs, Scored, tiny_fit, trainer
from .slides import CLI_3, CURVE, DDP_2, MODULE_1, MODULE_2, OWN, PITFALLS, RUNS, TABULAR_3, TRAIN

EPOCHS = dict(max_steps=-1, limit_train_batches=2, limit_val_batches=1, enable_checkpointing=True)


def ckpt_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ckpt"))


# --------------------------------------------------------------------------------------------
# each run's own folder


@claims(Claim(RUNS, "SLURM のジョブでは、N の代わりにジョブの番号が使われます。"),
        Claim(RUNS, "1 つのジョブで 2 回学習すると同じフォルダーに入り、2 回目は best-v1.ckpt になります。"))
def test_under_slurm_the_version_is_the_job_id_and_a_second_run_in_the_job_shares_it(quiet, monkeypatch):
    for name in ("SLURM_JOB_NAME", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)

    def run(**keep) -> str:
        best = ModelCheckpoint(monitor="val_loss", filename="best", **keep)
        tiny_fit(logger=True, max_epochs=1, callbacks=[best], **EPOCHS).fit(Scored([1.0]))
        return Path(best.best_model_path).relative_to(quiet).as_posix()

    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    assert [run(), run()] == ["lightning_logs/version_4242/checkpoints/best.ckpt",
                              "lightning_logs/version_4242/checkpoints/best-v1.ckpt"]  # same job, same folder
    assert len(list(Path("lightning_logs/version_4242").glob("events.out.tfevents.*"))) == 2  # both runs' curves
    monkeypatch.setenv("SLURM_JOB_ID", "4243")
    overwrite = [run(enable_version_counter=False), run(enable_version_counter=False)]
    assert overwrite == ["lightning_logs/version_4243/checkpoints/best.ckpt"] * 2  # the second replaced the first
    assert [p for p in ckpt_files(quiet) if "4243" in p] == ["lightning_logs/version_4243/checkpoints/best.ckpt"]
    monkeypatch.setenv("SLURM_JOB_NAME", "interactive")  # an interactive job (or none): the counter, highest N + 1
    assert run() == "lightning_logs/version_4244/checkpoints/best.ckpt"


OWN_CONFIG = """\
trainer:
  max_epochs: 2
  limit_train_batches: 2
  limit_val_batches: 1
  accelerator: cpu
  devices: 1
  enable_progress_bar: false
  enable_model_summary: false
  callbacks:
    - class_path: pytorch_lightning.callbacks.ModelCheckpoint
      init_args: {filename: best, monitor: val_loss}
"""


@claims(Claim(CLI_3, "設定ファイルも、記録と重みと同じ実行ごとのフォルダーに残る"),
        Claim(CLI_3, "テストには、同じ設定ファイルと、いま学習した実行の best.ckpt を渡します。"))
def test_the_cli_writes_config_and_checkpoint_into_the_runs_version_folder(quiet, monkeypatch):
    from pytorch_lightning.cli import LightningCLI

    Path("own.yaml").write_text(OWN_CONFIG)
    runs = []
    for _ in range(2):
        cli = LightningCLI(Logs, args=["fit", "--config", "own.yaml"])
        folder = Path(cli.trainer.log_dir)
        assert Path(cli.trainer.checkpoint_callback.best_model_path) == folder / "checkpoints" / "best.ckpt"
        assert "monitor: val_loss" in (folder / "config.yaml").read_text()
        runs.append(folder.relative_to(quiet).as_posix())
    assert runs == ["lightning_logs/version_0", "lightning_logs/version_1"]
    # testing is a run too: a folder of its own; "best" means nothing to a new process, the path does
    tested = LightningCLI(Logs, args=["test", "--config", "own.yaml", "--ckpt_path",
                                      cli.trainer.checkpoint_callback.best_model_path])
    assert Path(tested.trainer.log_dir).relative_to(quiet).as_posix() == "lightning_logs/version_2"
    with pytest.raises(ValueError, match=re.escape('`.test(ckpt_path="best")` is set but `ModelCheckpoint` is not '
                                                   "configured to save the best model.")):
        LightningCLI(Logs, args=["test", "--config", "own.yaml", "--ckpt_path", "best"])
    # in one SLURM job both runs share version_<job id>: the second refuses to overwrite the saved config
    for name in ("SLURM_JOB_NAME", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    LightningCLI(Logs, args=["fit", "--config", "own.yaml"])
    with pytest.raises(RuntimeError, match="config.yaml to NOT exist"):
        LightningCLI(Logs, args=["fit", "--config", "own.yaml"])


# --------------------------------------------------------------------------------------------
# testing the best weights


class WeightsTested(Scored):
    """Its test logs the sum of the weights it was tested with."""

    def test_step(self, batch, batch_idx):
        self.log("weights", self.layer.weight.sum())


@claims(Claim(TRAIN, 'trainer.test(datamodule=data, ckpt_path="best")  # 最後ではなく最良の重みで'),
        Claim(TRAIN, "test には ckpt_path として best を渡すと、最後の重みではなく、val_loss が最小だったときの重みでテストします。"))
def test_ckpt_path_best_tests_the_best_weights_and_without_it_the_last(quiet):
    best = ModelCheckpoint(monitor="val_loss", filename="best")
    t = tiny_fit(max_epochs=4, limit_test_batches=1, callbacks=[best], **EPOCHS)
    model = WeightsTested([1.0, 2.0, 3.0, 4.0])  # best at the first epoch, worse after
    t.fit(model)
    saved = torch.load(best.best_model_path, weights_only=False)
    assert (saved["epoch"], saved["global_step"]) == (0, 2)
    at_best, at_last = saved["state_dict"]["layer.weight"].sum().item(), model.layer.weight.sum().item()
    assert at_best != pytest.approx(at_last)
    assert t.test(model)[0]["weights"] == pytest.approx(at_last)  # the model as fit left it
    assert t.test(model, ckpt_path="best")[0]["weights"] == pytest.approx(at_best)
    with pytest.warns(UserWarning, match=re.escape("`.test(ckpt_path=None)` was called without a model. The best model "
                                                   "of the previous `fit` call will be used.")):
        assert t.test()[0]["weights"] == pytest.approx(at_best)  # no model given: the best, with a warning


def test_with_two_checkpoint_callbacks_best_means_the_first_ones(quiet):
    def fit(order):
        best = ModelCheckpoint(dirpath=f"{order}", filename="best", monitor="val_loss")
        last = ModelCheckpoint(dirpath=f"{order}", filename="last")
        t = tiny_fit(max_epochs=3, limit_test_batches=1, callbacks=[best, last] if order == "best_first" else [last, best],
                     **EPOCHS)
        t.fit(WeightsTested([1.0, 2.0, 3.0]))
        return t

    message = re.escape('`.test(ckpt_path="best")` is called with Trainer configured with multiple `ModelCheckpoint` '
                        "callbacks. It will use the best checkpoint path from first checkpoint callback.")
    for order, expected in (("best_first", "best.ckpt"), ("last_first", "last.ckpt")):
        t = fit(order)
        with pytest.warns(UserWarning, match=message):
            t.test(ckpt_path="best")
        assert Path(t.ckpt_path).name == expected  # [last, best]: "best" tests the latest weights


# --------------------------------------------------------------------------------------------
# logging per epoch


class PerEpoch(BoringModel):
    def __init__(self, on_epoch: bool):
        super().__init__()
        self.on_epoch = on_epoch

    def training_step(self, batch, batch_idx):
        out = super().training_step(batch, batch_idx)
        self.log("train_loss", out["loss"], on_epoch=self.on_epoch)
        return out


@claims(Claim(MODULE_2, 'self.log("train_loss", loss, on_epoch=True, sync_dist=True)  # エポックの平均も残す'),
        Claim(MODULE_2, "`self.log` は既定で 50 ステップごとに記録する。`on_epoch=True` ならエポックの平均も残る"),
        Claim(MODULE_2, "データが少ないと、学習全体でも数点しか残らないので、on_epoch=True でエポックごとの平均も記録しておきます。"),
        Claim(OWN, "`on_epoch=True` と、`log_every_n_steps` を 1 エポックより小さく"),
        Claim(CURVE, "TensorBoard の記録は、TensorBoard を開かなくても Python から読めます。"))
def test_with_3_steps_per_epoch_only_on_epoch_leaves_train_loss_points(quiet):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def fit(on_epoch: bool, **flags) -> tuple[pl.Trainer, dict[str, list[int]]]:
        t = tiny_fit(logger=True, max_steps=-1, max_epochs=2, limit_val_batches=0, **flags)
        t.fit(PerEpoch(on_epoch), DataLoader(torch.randn(6, 32), batch_size=2))  # 3 steps per epoch
        events = EventAccumulator(t.log_dir)
        events.Reload()
        return t, {tag: [e.step for e in events.Scalars(tag)] for tag in events.Tags()["scalars"] if "loss" in tag}

    warning = re.escape("The number of training batches (3) is smaller than the logging interval "
                        "Trainer(log_every_n_steps=50). Set a lower value for log_every_n_steps if you want to see "
                        "logs for the training epoch.")
    with pytest.warns(UserWarning, match=warning):
        _, logged = fit(on_epoch=False)
    assert logged == {}  # nothing: the steps are 0..5, the first point would be at step 49
    t, logged = fit(on_epoch=True)
    assert logged == {"train_loss_epoch": [2, 5]}  # one point per epoch, at the epoch's last step
    assert set(t.callback_metrics) == {"train_loss", "train_loss_step", "train_loss_epoch"}
    assert t.callback_metrics["train_loss"] == t.callback_metrics["train_loss_epoch"]  # the epoch mean
    _, logged = fit(on_epoch=False, log_every_n_steps=1)
    assert logged == {"train_loss": [0, 1, 2, 3, 4, 5]}  # or a smaller interval: a point every step


# --------------------------------------------------------------------------------------------
# resuming


class Rows(Dataset):
    """n rows of 32 features; each item also says its index, so a test can see the order."""

    def __init__(self, n: int):
        self.x = torch.randn(n, 32, generator=torch.Generator().manual_seed(0))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], i


class Resumable(Scored):
    """Records the row order of each epoch and, at the start of training, what the Trainer restored."""

    def __init__(self, scores):
        super().__init__(scores)
        self.orders, self.at_start = {}, {}

    def training_step(self, batch, batch_idx):
        x, i = batch
        self.orders.setdefault(self.current_epoch, []).extend(i.tolist())
        return super().training_step(x, batch_idx)

    def on_train_start(self):
        t = self.trainer
        stop, best = t.early_stopping_callback, t.checkpoint_callback
        self.at_start = dict(epoch=t.current_epoch, step=t.global_step, lr=t.optimizers[0].param_groups[0]["lr"],
                             weight=self.layer.weight.detach().clone(), optimizer=copy.deepcopy(t.optimizers[0].state_dict()),
                             wait=stop.wait_count, best_score=best.best_model_score)

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)  # momentum: a state to restore
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)]

    def train_dataloader(self):
        return DataLoader(Rows(8), batch_size=2, shuffle=True)


@claims(Claim(PITFALLS, "途中から再開する | `trainer.fit(model, data, ckpt_path=...)`"),
        Claim(PITFALLS, "`trainer.fit(model, data, ckpt_path=...)`（データの順番は戻らない）"),
        Claim(PITFALLS, "再開すると、重み、オプティマイザー、エポックとステップの数は戻りますが、データを読む順番は中断しなかったときと同じにはなりません。"))
def test_resuming_restores_the_training_state_but_not_the_data_order(quiet):
    def fit(max_epochs: int, scores, ckpt_path=None) -> Resumable:
        pl.seed_everything(7, verbose=False)  # as at the top of train.py, in each new process
        model = Resumable(scores)
        callbacks = [ModelCheckpoint(dirpath="ckpt", filename="best", monitor="val_loss", enable_version_counter=False),
                     ModelCheckpoint(dirpath="ckpt", filename="last", enable_version_counter=False),
                     EarlyStopping(monitor="val_loss", patience=5)]
        tiny_fit(max_steps=-1, max_epochs=max_epochs, limit_val_batches=1, enable_checkpointing=True,
                 callbacks=callbacks).fit(model, ckpt_path=ckpt_path)
        return model

    whole = fit(3, [1.0, 2.0, 3.0])
    first = fit(2, [1.0, 2.0])  # stopped after two epochs
    saved = torch.load("ckpt/last.ckpt", weights_only=False)
    again = fit(3, [3.0], ckpt_path="ckpt/last.ckpt")  # a new process resumes
    restored = again.at_start
    assert (restored["epoch"], restored["step"]) == (2, 8)
    assert torch.equal(restored["weight"], first.layer.weight) and torch.equal(restored["weight"],
                                                                               saved["state_dict"]["layer.weight"])
    assert restored["lr"] == pytest.approx(0.1 * 0.5 ** 2)  # the scheduler stepped twice
    momentum = restored["optimizer"]["state"][0]["momentum_buffer"]
    assert torch.equal(momentum, saved["optimizer_states"][0]["state"][0]["momentum_buffer"]) and momentum.abs().sum() > 0
    assert restored["wait"] == 1 and restored["best_score"].item() == 1.0  # EarlyStopping's count, the best score
    # not restored: no random state is saved, and the shuffled order after resuming differs from one run through
    assert set(saved) == {"epoch", "global_step", "pytorch-lightning_version", "state_dict", "loops", "callbacks",
                          "optimizer_states", "lr_schedulers"}
    assert first.orders == {0: whole.orders[0], 1: whole.orders[1]}  # the same seed: the same first two epochs
    assert sorted(again.orders) == [2] and again.orders[2] != whole.orders[2]
    assert again.orders[2] == whole.orders[0]  # the sampler draws as at the start of a run: epoch 0's order again


# --------------------------------------------------------------------------------------------
# testing under DDP


class CountsRows(BoringModel):
    def test_step(self, batch, batch_idx):
        x, i = batch
        with open(f"rows{self.global_rank}.txt", "a") as out:
            out.write("".join(f"{n} " for n in i.tolist()))
        self.log("rows", float(len(i)), reduce_fx="sum", sync_dist=True)
        self.log("share_of_row_0", (i == 0).float().mean(), sync_dist=True)  # 1 of 5 rows: 0.2


@claims(Claim(DDP_2, "枚数がプロセス数で割り切れないときは、一部のデータを重複させて枚数をそろえます。"),
        Claim(PITFALLS, "テストは `devices=1` で（分散では行が重複し、値が少しずれる）"),
        Claim(PITFALLS, "分散学習でテストすると、データをプロセス数で割り切るために一部の行が重複して数えられます。"))
def test_testing_on_two_processes_counts_a_duplicated_row(quiet):
    data = DataLoader(Rows(5), batch_size=2)
    one = trainer(accelerator="cpu", devices=1).test(CountsRows(), data)
    assert one == [{"rows": 5.0, "share_of_row_0": pytest.approx(0.2)}]
    Path("rows0.txt").unlink()
    record = quiet / "warnings.txt"

    def write_down(message, category, filename, lineno, file=None, line=None):
        with open(record, "a") as out:  # in the worker processes too (forked)
            out.write(f"{category.__name__}: {message}\n")

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = write_down
        two = trainer(accelerator="cpu", devices=2, strategy="ddp_fork").test(CountsRows(), data)
    assert two == [{"rows": 6.0, "share_of_row_0": pytest.approx(1 / 3)}]  # 6 rows, row 0 twice
    seen = [Path(f"rows{r}.txt").read_text().split() for r in (0, 1)]
    assert seen == [["0", "2", "4"], ["1", "3", "0"]]
    assert ("PossibleUserWarning: Using `DistributedSampler` with the dataloaders. During `trainer.test()`, it is "
            "recommended to use `Trainer(devices=1, num_nodes=1)` to ensure each sample/batch gets evaluated exactly "
            "once. Otherwise, multi-device settings use `DistributedSampler` that replicates some samples to make sure "
            "all devices have same batch size in case of uneven inputs.") in record.read_text()


# --------------------------------------------------------------------------------------------
# your own data: statistics kept in the module (a split by fractions: test_basics)


OWN_MODEL = '''\
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn


class Regressor(pl.LightningModule):
    def __init__(self, n_features: int = 10, persistent: bool = True):
        super().__init__()
        self.save_hyperparameters()
        # statistics of the training split: buffers are saved in the checkpoint with the weights
        self.register_buffer("mean", torch.zeros(n_features), persistent=persistent)
        self.register_buffer("std", torch.ones(n_features), persistent=persistent)
        self.net = nn.Linear(n_features, 1)

    def forward(self, x):
        return self.net((x - self.mean) / self.std)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.mse_loss(self(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)
'''

PREDICT = """\
import sys, torch
from own_model import Regressor
model = Regressor.load_from_checkpoint(sys.argv[1])
model.eval()
with torch.no_grad():
    torch.save(model(torch.load("x_new.pt")), "y_new.pt")
"""


@claims(Claim(TABULAR_3, 'self.register_buffer("mean", torch.zeros(n_features))  # バッファー：重みと一緒に保存'),
        Claim(TABULAR_3, "バッファーは学習されませんが、重みと一緒にチェックポイントへ保存されるので、別のプロセスで読み込んでも同じ前処理で予測できます。"))
def test_statistics_in_buffers_travel_with_the_checkpoint_to_a_new_process(quiet, monkeypatch):
    Path("own_model.py").write_text(OWN_MODEL)
    Path("predict_own.py").write_text(PREDICT)
    monkeypatch.syspath_prepend(str(quiet))
    from own_model import Regressor

    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 10, generator=g) * 50 + 100  # 300 rows, far from 0 and 1
    y = x[:, :1] / 100
    torch.save(torch.randn(4, 10, generator=g) * 50 + 100, "x_new.pt")
    for persistent in (True, False):
        model = Regressor(persistent=persistent)
        model.mean.copy_(x.mean(0))
        model.std.copy_(x.std(0))
        best = ModelCheckpoint(dirpath=f"ckpt_{persistent}", filename="best")
        tiny_fit(max_steps=3, limit_val_batches=0, enable_checkpointing=True, callbacks=[best]).fit(
            model, DataLoader(list(zip(x, y)), batch_size=32))
        assert ("mean" in torch.load(best.best_model_path, weights_only=True)["state_dict"]) is persistent
        model.eval()
        with torch.no_grad():
            here = model(torch.load("x_new.pt"))
        subprocess.run([sys.executable, "predict_own.py", best.best_model_path], check=True, cwd=quiet)
        there = torch.load("y_new.pt")
        assert torch.equal(here, there) is persistent  # persistent=False: the new process uses mean 0, std 1


@claims(Claim(MODULE_1, "モデルなどのオブジェクトを引数にするときは、ignore でその引数を保存から外してください。"))
def test_a_module_argument_is_left_out_of_the_hyperparameters_with_ignore(quiet):
    class WithBackbone(BoringModel):
        def __init__(self, backbone: torch.nn.Module, lr: float = 0.1):
            super().__init__()
            self.save_hyperparameters()
            self.backbone = backbone

    class Ignored(BoringModel):
        def __init__(self, backbone: torch.nn.Module, lr: float = 0.1):
            super().__init__()
            self.save_hyperparameters(ignore=["backbone"])
            self.backbone = backbone

    with pytest.warns(UserWarning, match=re.escape("is an instance of `nn.Module` and is already saved during "
                                                   "checkpointing. It is recommended to ignore them using "
                                                   "`self.save_hyperparameters(ignore=['backbone'])`")):
        assert "backbone" in WithBackbone(torch.nn.Linear(2, 2)).hparams
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dict(Ignored(torch.nn.Linear(2, 2)).hparams) == {"lr": 0.1}
