"""Claims of the first part: the loop, what Lightning is, installation, LightningModule, data, Trainer."""

from __future__ import annotations

import importlib.metadata
import inspect
import subprocess
import sys
import warnings

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.demos.boring_classes import BoringModel, RandomDataset
from torch.utils.data import DataLoader, DistributedSampler

from deck.paths import DATA

from .ledger import Claim, Docs, Shown, claims, docs, shown
from .lightning_fakes import default, fake_gpus, tiny_fit, trainer

WHAT = "PyTorch Lightning とは"
INSTALL = "インストール"
MODULE_1, MODULE_2, MODULE_3 = ("LightningModule（1/3）：モデル", "LightningModule（2/3）：学習の 1 ステップ",
                                "LightningModule（3/3）：検証とオプティマイザー")
DATA_1, DATA_2, DATA_3 = ("データ（1/3）：LightningDataModule", "データ（2/3）：ダウンロードと分割",
                          "データ（3/3）：DataLoader を返す")
TRAINER = "Trainer：学習とテスト"
INSTALLATION = "https://lightning.ai/docs/pytorch/stable/starter/installation.html"

shown(
    Shown(WHAT, "`Dataset` と `DataLoader` | そのまま渡す、または `LightningDataModule`", "plain_dataloaders.py", "5"),
    Shown(WHAT, "中身は PyTorch のまま", "same_loss.py", "PyTorch:   "),
    Shown(MODULE_1, "LightningModule は nn.Module を継承したクラス", "is_nn_module.py", "True\n"),
    Shown(MODULE_2, "return loss  # zero_grad・backward・step は Trainer が行う", "hook_order.py",
          "学習 0（training=True）: zero_grad → backward → step"),
    Shown(MODULE_2, "`*_step` は 1 バッチ分：ループを回すのは `Trainer`", "hook_order.py",
          "学習 1（training=True）: zero_grad → backward → step"),
    Shown(MODULE_2, "to device も zero_grad も backward も step も書かない", "hook_order.py",
          "学習 0（training=True）: zero_grad → backward → step"),
    Shown(DATA_1, "ただし必須ではない。DataLoader をそのまま Trainer に渡してもよい。", "plain_dataloaders.py", "5"),
    Shown(DATA_2, "def setup(self, stage: str):  # 各プロセスで呼ばれる", "ddp_sampler.py",
          "global_rank=1 node_rank=0 world_size=2  DistributedSampler: 27,500 / 55,000 枚"),
    Shown(DATA_3, "`num_workers` で読み込みを並列にできる：増やすときは付録のガードも見る", "main_guard.py", "ワーカー 2 個"),
    Shown(DATA_3, "DataModule なしでも動く：`trainer.fit(model, train_loader, val_loader)`（付録）",
          "plain_dataloaders.py", "5"),
    Shown(DATA_3, "DataModule を使わないなら、自分で作った DataLoader を trainer.fit にそのまま渡せばよい。",
          "plain_dataloaders.py", "5"),
    Shown(TRAINER, "テスト用の 1 万枚で正解率 98% 以上", "fit.py", 'assert result[0]["test_acc"] >= 0.98'),
    Shown(TRAINER, "テストの正解率が 98% を超えることを毎回確かめている", "fit.py", 'assert result[0]["test_acc"] >= 0.98'),
)

docs(
    Docs(INSTALL, "同じものが `pip install lightning` でも入る：`import lightning as L` と書き、`pl.Trainer` は `L.Trainer` と読み替える",
         INSTALLATION),
    Docs(INSTALL, "公式ドキュメントは lightning パッケージで書かれているが、クラス名も書き方も同じ。", INSTALLATION),
    Docs(INSTALL, "GPU 用の `torch` は、先に PyTorch 公式サイトのコマンドで入れておく", "https://pytorch.org/get-started/locally/"),
    # Colab's runtime as Google publishes its `pip freeze` (GPU runtime: torch, torchvision, matplotlib,
    # tensorboard installed, no pytorch-lightning).
    Docs(INSTALL, "Colab には GPU 用の torch が最初から入っているので、そのまま 1 行目を実行すればよい。",
         "https://github.com/googlecolab/backend-info/blob/main/pip-freeze.gpu.txt"),
)


# --------------------------------------------------------------------------------------------
# what Lightning is, packages, install


@claims(Claim(WHAT, "（Lightning AI が開発、Apache-2.0）"))
def test_made_by_lightning_ai_under_apache_2():
    meta = importlib.metadata.metadata("pytorch-lightning")
    license_text = (meta.get("License") or "") + (meta.get("License-Expression") or "") + str(meta.get_all("Classifier"))
    assert "Apache" in license_text
    assert "Lightning AI" in (meta.get("Author") or "") + (meta.get("Author-email") or "")


@claims(Claim(INSTALL, "Python 3.10 以上（`pytorch-lightning` 2.6.1 以降の要件）"))
def test_python_310_is_what_pytorch_lightning_requires():
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    required = SpecifierSet(importlib.metadata.metadata("pytorch-lightning")["Requires-Python"])
    assert Version(pl.__version__) >= Version("2.6.1")
    assert "3.10" in required and "3.9" not in required


class _Other:
    """A Lightning class of the *other* package, as Lightning tells them apart: by module name
    (`lightning` is not installed here; with the real one the same happens, checked by hand
    with lightning 2.6.6)."""


def _from_the_other_package(name: str, module: str, **body) -> type:
    return type(name, (_Other,), {"__module__": module, **body})


@claims(Claim(INSTALL, "混ぜたモデルは `TypeError` で止まり"),
        Claim(INSTALL, "モデルを混ぜれば止まる"))
def test_a_model_of_the_other_package_stops_with_a_typeerror(quiet):
    Other = _from_the_other_package("LightningModule", "lightning.pytorch.core.module")
    with pytest.raises(TypeError, match="Please switch to a single import style"):
        trainer(accelerator="cpu", devices=1).fit(Other())
    # The reader's own model lives in their module (litmodule): Lightning names the wrong base class.
    LitModule = type("LitModule", (Other,), {"__module__": "litmodule"})
    with pytest.raises(TypeError, match="`model` must be a `LightningModule`"):
        trainer(accelerator="cpu", devices=1).fit(LitModule())


@claims(Claim(INSTALL, "コールバックを混ぜるとエラーにならず、最良のチェックポイントが別のものになる"),
        Claim(INSTALL, "混ぜたコールバックはエラーなしで期待どおりに働かない"))
def test_a_checkpoint_callback_of_the_other_package_is_not_the_one_best_means(quiet):
    from pytorch_lightning.callbacks import ModelCheckpoint

    saved = []

    def on_validation_end(self, trainer, module):  # it runs: its hooks are called like any callback's
        saved.append(trainer.global_step)
        trainer.save_checkpoint(quiet / "theirs" / f"step={trainer.global_step}.ckpt")

    Theirs = _from_the_other_package("ModelCheckpoint", "lightning.pytorch.callbacks.model_checkpoint",
                                     on_validation_end=on_validation_end, state_key="ModelCheckpoint[theirs]")
    for hook in ("setup", "teardown", "on_fit_start", "on_fit_end", "on_sanity_check_start", "on_sanity_check_end",
                 "on_train_start", "on_train_end", "on_train_epoch_start", "on_train_epoch_end",
                 "on_validation_epoch_start", "on_validation_epoch_end", "on_validation_start", "on_train_batch_start",
                 "on_train_batch_end", "on_validation_batch_start", "on_validation_batch_end", "on_before_backward",
                 "on_after_backward", "on_before_optimizer_step", "on_before_zero_grad", "on_save_checkpoint",
                 "on_load_checkpoint", "on_test_start", "on_test_end", "on_test_epoch_start", "on_test_epoch_end",
                 "on_test_batch_start", "on_test_batch_end", "load_state_dict", "state_dict", "on_exception"):
        setattr(Theirs, hook, getattr(Theirs, hook, None) or (lambda self, *a, **k: {}))
    theirs = Theirs()
    t = tiny_fit(max_steps=4, val_check_interval=2, enable_checkpointing=True, default_root_dir=quiet,
                 callbacks=[theirs])  # no error
    assert not isinstance(theirs, ModelCheckpoint)
    assert isinstance(t.checkpoint_callback, ModelCheckpoint) and t.checkpoint_callback is not theirs  # Lightning adds its own
    t.fit(BoringModel())
    assert saved == [2, 4]  # theirs ran...
    assert "theirs" not in t.checkpoint_callback.best_model_path  # ...but "best" is Lightning's default one
    assert t.checkpoint_callback.best_model_path.endswith("step=4.ckpt")


@claims(Claim(INSTALL, 'pip install "jsonargparse[signatures]>=4.27.7"  # 付録の LightningCLI で使う'))
def test_lightning_cli_needs_jsonargparse():
    import pytorch_lightning.cli as cli

    assert cli._JSONARGPARSE_SIGNATURES_AVAILABLE.requirement == "jsonargparse[signatures]>=4.27.7"
    assert cli._JSONARGPARSE_SIGNATURES_AVAILABLE


# --------------------------------------------------------------------------------------------
# LightningModule


class Probe(BoringModel):
    """Records the mode, grad and inference mode each hook runs under."""

    def __init__(self, lr: float = 0.1):
        super().__init__()
        self.save_hyperparameters()
        self.seen: dict[str, tuple] = {}

    def _note(self, hook):
        self.seen[hook] = (self.training, torch.is_grad_enabled(), torch.is_inference_mode_enabled())

    def validation_step(self, batch, batch_idx):
        self._note("validation_step")
        return super().validation_step(batch, batch_idx)

    def test_step(self, batch, batch_idx):
        self._note("test_step")
        return super().test_step(batch, batch_idx)


@claims(Claim(MODULE_1, "self.save_hyperparameters()  # lr を self.hparams に保存（チェックポイントにも入る）"),
        Claim(MODULE_1, "save_hyperparameters を呼ぶと、引数の lr がチェックポイントにも保存され、読み込むときに同じ設定でモデルを作り直せる。"))
def test_hyperparameters_go_into_the_checkpoint_and_come_back(quiet):
    model = Probe(lr=0.25)
    assert model.hparams.lr == 0.25
    t = tiny_fit(enable_checkpointing=True, default_root_dir=quiet)
    t.fit(model)
    path = t.checkpoint_callback.best_model_path
    assert torch.load(path, weights_only=False)["hyper_parameters"]["lr"] == 0.25
    assert Probe.load_from_checkpoint(path).hparams.lr == 0.25


@claims(Claim(MODULE_2, "x, y = batch  # バッチはもうデバイス上にある"))
def test_the_batch_is_on_the_device_before_training_step(quiet):
    order = []

    class Order(BoringModel):
        def transfer_batch_to_device(self, batch, device, dataloader_idx):
            order.append(("transfer", device))
            return super().transfer_batch_to_device(batch, device, dataloader_idx)

        def training_step(self, batch, batch_idx):
            order.append(("training_step", batch.device))
            return super().training_step(batch, batch_idx)

    t = tiny_fit(max_steps=1, limit_val_batches=0)
    t.fit(Order())
    root = t.strategy.root_device
    assert order == [("transfer", root), ("training_step", root)]


@claims(Claim(MODULE_2, "self.log で記録した値は、後でグラフにできる。"),
        Claim("付録：学習曲線を描く", "TensorBoard の記録は、TensorBoard を開かなくても Python から読める。"))
def test_logged_values_can_be_read_back_for_a_plot(quiet):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    class Logs(BoringModel):
        def training_step(self, batch, batch_idx):
            out = super().training_step(batch, batch_idx)
            self.log("train_loss", out["loss"])
            return out

    t = tiny_fit(logger=True, max_steps=4, log_every_n_steps=1, limit_val_batches=0)
    t.fit(Logs())
    events = EventAccumulator(t.logger.log_dir)
    events.Reload()
    assert [e.step for e in events.Scalars("train_loss")] == [0, 1, 2, 3]


@claims(Claim(MODULE_3, "検証とテストでは、Trainer がモデルを評価モードにし、勾配の計算を止めてから呼ぶ。"))
def test_eval_mode_and_no_grad_in_validation_and_test(quiet):
    model = Probe()
    t = tiny_fit(val_check_interval=2, limit_test_batches=1)
    t.fit(model)
    t.test(model, verbose=False)
    assert model.seen["validation_step"] == (False, False, False)  # eval, no grad (torch.no_grad)
    assert model.seen["test_step"] == (False, False, True)  # eval, torch.inference_mode


@claims(Claim(MODULE_3, "記録した値は、エポック全体の平均になる。"))
def test_validation_and_test_log_the_epoch_mean_weighted_by_batch_size(quiet):
    class Log(BoringModel):
        def validation_step(self, batch, batch_idx):
            self.log("v", float(batch_idx), batch_size=len(batch))

        def test_step(self, batch, batch_idx):
            self.log("v", float(batch_idx), batch_size=len(batch))  # batch 0 of 3 samples, batch 1 of 1

    loader = DataLoader(RandomDataset(32, 4), batch_size=3)
    result = trainer(accelerator="cpu", devices=1).test(Log(), loader, verbose=False)
    assert result[0]["v"] == pytest.approx((0 * 3 + 1 * 1) / 4)
    result = trainer(accelerator="cpu", devices=1).validate(Log(), loader, verbose=False)
    assert result[0]["v"] == pytest.approx((0 * 3 + 1 * 1) / 4)


class PerRank(BoringModel):
    """Logs its own rank in validation: rank 0 logs 0.0, rank 1 logs 1.0."""

    def __init__(self, sync_dist: bool):
        super().__init__()
        self.sync_dist = sync_dist

    def validation_step(self, batch, batch_idx):
        self.log("rank", float(self.global_rank), sync_dist=self.sync_dist)


@claims(Claim(MODULE_3, "sync_dist は、複数のプロセスで学習するときに全体の値にするための指定で、1 プロセスなら何もしない。"),
        Claim("付録：SLURM（2/3）：GPU クラスターでは", "検証・テストの `self.log` には `sync_dist=True`：ないと記録はランク 0 の担当分だけの値"),
        Claim("付録：SLURM（2/3）：GPU クラスターでは", "sync_dist=True は、エポックの終わりに全プロセスの値を平均してから記録する。"),
        Claim("付録：SLURM（2/3）：GPU クラスターでは", "1 プロセスのときは何もしないので、常に付けておいてよい。"))
def test_metrics_are_per_process_unless_sync_dist(quiet):
    logged = {}
    for sync_dist in (False, True):  # two CPU processes, as the deck's 特徴 5 run
        t = tiny_fit(devices=2, strategy="ddp_fork", max_steps=1, val_check_interval=1, limit_val_batches=1)
        t.fit(PerRank(sync_dist))
        logged[sync_dist] = t.callback_metrics["rank"].item()
    assert logged == {False: 0.0, True: 0.5}
    t = tiny_fit(max_steps=1, val_check_interval=1, limit_val_batches=1)  # one process
    t.fit(PerRank(sync_dist=True))
    assert t.callback_metrics["rank"].item() == 0.0
    assert t.strategy.reduce(torch.tensor(3.0)) == 3.0


# --------------------------------------------------------------------------------------------
# data


def _mnist(name: str) -> np.ndarray:
    raw = DATA / "MNIST" / "raw" / name
    if not raw.is_file():
        pytest.skip("MNIST is not staged: make data")
    data = raw.read_bytes()
    count = int.from_bytes(data[4:8], "big")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, 28, 28)


@claims(Claim("データ（1/3）：LightningDataModule", "transforms.Normalize((0.1307,), (0.3081,)),  # MNIST の平均と標準偏差"),
        Claim(DATA_2, "学習用の 6 万枚を、学習 55,000 枚と検証 5,000 枚に分ける。"))
def test_mnist_has_60000_training_images_with_this_mean_and_std():
    train = _mnist("train-images-idx3-ubyte") / 255.0
    assert len(train) == 60_000 == 55_000 + 5_000
    assert (round(train.mean(), 4), round(train.std(), 4)) == (0.1307, 0.3081)


@claims(Claim(TRAINER, "テスト用の 1 万枚"))
def test_mnist_has_10000_test_images():
    assert len(_mnist("t10k-images-idx3-ubyte")) == 10_000


@claims(Claim(DATA_2, "`prepare_data` はダウンロード、`setup` は `stage`（`\"fit\"`、`\"test\"` など）ごとの準備"),
        Claim(DATA_2, "prepare_data は fit や test のたびに呼ばれる。"),
        Claim(DATA_3, "`Trainer` は必要なときにこのメソッドを呼ぶ"))
def test_setup_gets_the_stage_and_the_trainer_asks_for_the_loaders_it_needs(quiet):
    calls = []

    class Data(pl.LightningDataModule):
        def prepare_data(self):
            calls.append("prepare_data")

        def setup(self, stage):
            calls.append("setup " + ("fit" if stage == "fit" else "test" if stage == "test" else str(stage)))  # a str enum

        def train_dataloader(self):
            calls.append("train_dataloader")
            return DataLoader(RandomDataset(32, 4), batch_size=2)

        def val_dataloader(self):
            calls.append("val_dataloader")
            return DataLoader(RandomDataset(32, 4), batch_size=2)

        def test_dataloader(self):
            calls.append("test_dataloader")
            return DataLoader(RandomDataset(32, 4), batch_size=2)

    model, data = BoringModel(), Data()
    t = tiny_fit(max_steps=1, val_check_interval=1)
    t.fit(model, data)
    assert calls[:2] == ["prepare_data", "setup fit"] and "test_dataloader" not in calls
    assert {"train_dataloader", "val_dataloader"} <= set(calls)
    calls.clear()
    t.test(model, data, verbose=False)
    assert calls == ["prepare_data", "setup test", "test_dataloader"]


@claims(Claim(DATA_2, "def prepare_data(self):  # ダウンロードだけ：マシン（ノード）ごとに 1 回"),
        Claim(DATA_2, "prepare_data の中では self に何も持たせない。"))
def test_prepare_data_runs_on_local_rank_zero_of_each_machine_only(monkeypatch, quiet):
    calls = []

    class DM(pl.LightningDataModule):
        def prepare_data(self):
            calls.append(1)

    assert DM().prepare_data_per_node is True
    # Only local rank 0 of each machine runs it: what it sets on self, the other processes never see.
    for local_rank, node_rank, runs in [(0, 0, 1), (0, 1, 1), (1, 0, 0), (3, 1, 0)]:
        t = trainer()
        monkeypatch.setattr(pl.Trainer, "local_rank", property(lambda self, r=local_rank: r))
        monkeypatch.setattr(pl.Trainer, "node_rank", property(lambda self, r=node_rank: r))
        t._data_connector.attach_datamodule(BoringModel(), DM())
        calls.clear()
        t._data_connector.prepare_data()
        assert len(calls) == runs, (local_rank, node_rank)


_SPLIT = ("import torch; from torch.utils.data import random_split; "
          "print(random_split(range(60_000), [55_000, 5_000], {})[1].indices[:5])")


@claims(Claim(DATA_2, "random_split(  # シード固定：毎回同じ分け方"),
        Claim(DATA_2, "分割には、シードを固定した generator を渡す。こうすると、どのプロセスでも、いつ実行しても同じ分け方になり、検証用の画像が学習に混ざらない。"),
        Claim("付録：DataModule を使わない", "分割は毎回同じになるようシードを固定する"),
        Claim("付録：DataModule を使わない", "ただし複数のプロセスで学習するなら、すべてのプロセスで同じ分け方になるよう、分割のシードを固定しておく。"))
def test_a_seeded_split_is_the_same_in_every_process_and_an_unseeded_one_is_not():
    run = lambda generator: subprocess.run([sys.executable, "-c", _SPLIT.format(generator)],  # noqa: E731
                                           capture_output=True, text=True, check=True).stdout
    seeded = "generator=torch.Generator().manual_seed(42)"
    assert run(seeded) == run(seeded)
    assert run("") != run("")  # each process draws its own split: validation images would leak into training


@claims(Claim("Lightning の 6 つの特徴", "5. 分散学習では `DistributedSampler` が自動で設定される"))
def test_distributed_sampler_is_on_by_default():
    from pytorch_lightning.trainer.states import RunningStage

    assert default("use_distributed_sampler") is True
    t = trainer(accelerator="cpu", devices=2, strategy="ddp")
    loader = t._data_connector._prepare_dataloader(DataLoader(range(10), batch_size=2), shuffle=True,
                                                   mode=RunningStage.TRAINING)
    assert isinstance(loader.sampler, DistributedSampler)


# --------------------------------------------------------------------------------------------
# Trainer


@claims(Claim(TRAINER, "pl.seed_everything(42, workers=True)  # 乱数を固定（DataLoader のワーカーも）"))
def test_seed_everything_with_workers_seeds_each_dataloader_worker(quiet):
    class Draw(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return torch.tensor([np.random.rand()], dtype=torch.float32)  # numpy: forked workers share its state

    def drawn(workers: bool) -> tuple[list[float], object]:
        seen = []

        class Model(BoringModel):
            def training_step(self, batch, batch_idx):
                seen.extend(batch.flatten().tolist())
                return super().training_step(torch.zeros(len(batch), 32), batch_idx)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pl.seed_everything(42, workers=workers, verbose=False)
        t = tiny_fit(max_steps=2, limit_val_batches=0)
        t.fit(Model(), DataLoader(Draw(), batch_size=2, num_workers=2))
        return seen, t.train_dataloader.worker_init_fn

    (first, init), (again, _) = drawn(workers=True), drawn(workers=True)
    assert first == again  # the same numbers in every run
    assert first[:2] != first[2:]  # and the two workers draw different ones
    from lightning_fabric.utilities.seed import pl_worker_init_function

    assert init.func is pl_worker_init_function  # Lightning seeds each worker (torch, random, numpy)
    assert drawn(workers=False)[1] is None  # without workers=True it does not


@claims(Claim(TRAINER, "trainer = pl.Trainer(max_epochs=2, devices=1)  # GPU が何台あっても 1 台だけ使う"),
        Claim(TRAINER, "GPU があれば GPU（Apple Silicon では MPS）、なければ CPU で学習する（`accelerator=\"auto\"` が既定値）"),
        Claim(TRAINER, "GPU があれば自動で GPU を使い、なければ CPU で学習する。"))
def test_auto_accelerator_and_one_device(monkeypatch):
    assert default("accelerator") == "auto" and default("devices") == "auto"
    fake_gpus(monkeypatch, 0)
    cpu = trainer(devices=1)
    assert (type(cpu.accelerator).__name__, cpu.strategy.root_device) == ("CPUAccelerator", torch.device("cpu"))
    fake_gpus(monkeypatch, 4)
    gpu = trainer(devices=1)
    assert gpu.num_devices == 1
    assert (type(gpu.strategy).__name__, gpu.strategy.root_device) == ("SingleDeviceStrategy", torch.device("cuda", 0))


@claims(Claim(TRAINER, "学習中はプログレスバーが出て、test の後に結果の表が出る。"))
def test_progress_bar_and_result_table_by_default(quiet, capfd):
    assert trainer(enable_progress_bar=None).progress_bar_callback is not None  # None means on
    assert inspect.signature(pl.Trainer.test).parameters["verbose"].default is True
    class Logs(BoringModel):
        def test_step(self, batch, batch_idx):
            self.log("test_acc", 1.0)

    trainer(accelerator="cpu", devices=1, limit_test_batches=1).test(Logs())
    assert "Test metric" in capfd.readouterr().out


@claims(Claim(DATA_2, "validate や predict も使うなら、setup にその stage も用意する。"))
def test_validate_calls_setup_with_its_own_stage(quiet):
    class FitAndTestOnly(pl.LightningDataModule):  # as the deck's LitDataModule: only "fit" and "test"
        def setup(self, stage):
            if stage == "fit":
                self.val_set = RandomDataset(32, 4)

        def val_dataloader(self):
            return DataLoader(self.val_set, batch_size=2)

    with pytest.raises(AttributeError, match="val_set"):
        trainer(accelerator="cpu", devices=1).validate(BoringModel(), FitAndTestOnly())


@claims(Claim(TRAINER, "test は最後の重みで測る。"))
def test_test_without_ckpt_path_uses_the_weights_in_the_model(quiet):
    model = BoringModel()
    t = tiny_fit(max_steps=2, enable_checkpointing=True)
    t.fit(model)
    weights = [p.detach().clone() for p in model.parameters()]
    t.test(model, verbose=False)
    assert t.ckpt_path is None  # nothing loaded: the model's current (last) weights
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))
