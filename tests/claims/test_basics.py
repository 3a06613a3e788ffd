"""Claims of the first part: the loop, what Lightning is, installation, LightningModule, data, Trainer."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import warnings

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.demos.boring_classes import BoringModel, RandomDataset
from torch.utils.data import DataLoader, DistributedSampler, random_split

from deck.paths import DATA

from .ledger import Claim, Docs, Shown, claims, docs, shown
from .lightning_fakes import tiny_fit, trainer
from .slides import (DATA_1, DATA_2, DATA_3, DIGITS, INSTALL, MODULE_1, MODULE_2, MODULE_3, NO_DM, OWN, PREDICT,
                     SLURM_GPU, STEP_0, TABULAR_2, TABULAR_4, TABULAR_5, TRAIN, WHAT)

INSTALLATION = "https://lightning.ai/docs/pytorch/stable/starter/installation.html"
TORCH_INSTALL = "https://pytorch.org/get-started/locally/"

shown(
    Shown(WHAT, "`Dataset` と `DataLoader` | そのまま渡す、または `LightningDataModule`", "plain_dataloaders.py", "5"),
    Shown(WHAT, "中身は PyTorch のまま", "same_loss.py", "PyTorch:   "),
    Shown(MODULE_1, "LightningModule は nn.Module を継承したクラス", "is_nn_module.py", "True\n"),
    Shown(MODULE_2, "return loss  # zero_grad・backward・step は Trainer が行う", "hook_order.py", STEP_0),
    Shown(MODULE_2, "ループの中身のうち、1 バッチ分の計算だけを書く", "hook_order.py",
          "学習 1（training=True）: zero_grad → backward → step"),
    Shown(MODULE_2, "to device も zero_grad も backward も書きません。", "hook_order.py", STEP_0),
    Shown(MODULE_2, "loss を返せば、backward と step は Trainer が呼びます。", "hook_order.py", STEP_0),
    Shown(DATA_1, "必須ではなく、DataLoader をそのまま Trainer に渡しても構いません。", "plain_dataloaders.py", "5"),
    Shown(DATA_2, "def setup(self, stage: str):  # 各プロセスで呼ばれる", "ddp_sampler.py",
          "global_rank=1 node_rank=0 world_size=2  DistributedSampler: 27,000 / 54,000 枚"),
    Shown(DATA_3, "`num_workers` で読み込みを並列にできる", "main_guard.py", "5 2\n"),
)

docs(
    Docs(INSTALL, "`pip install lightning` なら `import lightning.pytorch as pl`、`from lightning.pytorch.X` と書く", INSTALLATION),
    # PyTorch's selector: on Linux the plain `pip install torch` is a CUDA build; the CPU build is the
    # .../whl/cpu index; Windows and a chosen CUDA version have their own commands.
    Docs(INSTALL, "GPU のない Linux では、先に CPU 版の `torch` を入れる（CUDA の数 GB を入れない）", TORCH_INSTALL),
    Docs(INSTALL, "`pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu`", TORCH_INSTALL),
    Docs(INSTALL, "Linux で普通に pip install すると、GPU がなくても CUDA 用の torch が入り、数 GB になります。", TORCH_INSTALL),
    Docs(INSTALL, "Windows や、ドライバーに合う CUDA 版が要るときも、先に PyTorch 公式サイトのコマンドで入れる", TORCH_INSTALL),
    # Colab's runtime as Google publishes its `pip freeze` (GPU runtime: torch, torchvision, matplotlib,
    # tensorboard installed, no pytorch-lightning).
    Docs(INSTALL, "Colab には torch が最初から入っているので、そのまま 1 行目を実行すれば大丈夫です。",
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


@claims(Claim(INSTALL, "2 つを混ぜない"),
        Claim(INSTALL, "lightning パッケージと混ぜると、モデルは TypeError で止まります"))
def test_a_model_of_the_other_package_stops_with_a_typeerror(quiet):
    Other = _from_the_other_package("LightningModule", "lightning.pytorch.core.module")
    with pytest.raises(TypeError, match="Please switch to a single import style"):
        trainer(accelerator="cpu", devices=1).fit(Other())
    # The reader's own model lives in their module (litmodule): Lightning names the wrong base class.
    LitModule = type("LitModule", (Other,), {"__module__": "litmodule"})
    with pytest.raises(TypeError, match="`model` must be a `LightningModule`"):
        trainer(accelerator="cpu", devices=1).fit(LitModule())


@claims(Claim(INSTALL, "2 つを混ぜない"),
        Claim(INSTALL, "コールバックはエラーにならず"))  # (the note goes on「無視されます」: its hooks do run, see below)
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

    def __init__(self):
        super().__init__()
        self.seen: dict[str, tuple] = {}

    def _note(self, hook):
        self.seen[hook] = (self.training, torch.is_grad_enabled(), torch.is_inference_mode_enabled())

    def validation_step(self, batch, batch_idx):
        self._note("validation_step")
        return super().validation_step(batch, batch_idx)

    def test_step(self, batch, batch_idx):
        self._note("test_step")
        return super().test_step(batch, batch_idx)


@claims(Claim(MODULE_3, "検証とテストでは、Trainer がモデルを評価モードにし、勾配を計算しない設定にしてから呼びます。"))
def test_eval_mode_and_no_grad_in_validation_and_test(quiet):
    model = Probe()
    t = tiny_fit(val_check_interval=2, limit_test_batches=1)
    t.fit(model)
    t.test(model, verbose=False)
    assert model.seen["validation_step"] == (False, False, False)  # eval, no grad (torch.no_grad)
    assert model.seen["test_step"] == (False, False, True)  # eval, torch.inference_mode


@claims(Claim(MODULE_3, "ここで記録した値は、エポック全体の平均になります。"))
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


@claims(Claim(MODULE_3, "sync_dist は、複数のプロセスで学習するときに、全プロセスの値を平均してから記録する指定です。"),
        Claim(MODULE_3, "1 プロセスなら何もしないので、付けたままで構いません。"),
        Claim(SLURM_GPU, "検証とテストの self.log には sync_dist=True を付けます。ないと、記録はランク 0 の担当分だけの値になります。"))
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


@claims(Claim(DATA_1, "transforms.Normalize((0.1307,), (0.3081,)),  # MNIST の平均と標準偏差"),
        Claim(DATA_2, "学習用の 6 万枚を、9 対 1 で学習用と検証用に分けます。"),
        Claim(PREDICT, "1 万枚すべて"),
        Claim(DIGITS, "for ax, (x, y) in zip(axes, data.train_set):  # x：1×28×28 のテンソル、y：ラベル"))
def test_mnist_has_60000_training_and_10000_test_images_of_1x28x28_with_this_mean_and_std():
    from torchvision import transforms
    from torchvision.datasets import MNIST

    train = _mnist("train-images-idx3-ubyte") / 255.0
    assert len(train) == 60_000
    assert (round(train.mean(), 4), round(train.std(), 4)) == (0.1307, 0.3081)
    assert len(_mnist("t10k-images-idx3-ubyte")) == 10_000
    x, y = MNIST(str(DATA), train=True, transform=transforms.ToTensor())[0]
    assert x.shape == (1, 28, 28) and isinstance(y, int)


@claims(Claim(DATA_2, "枚数ではなく割合で書くと、データの数が変わってもそのまま動きます。"),
        Claim(OWN, "280 ÷ 32 の切り上げで 9（MNIST は 422）"),
        Claim(OWN, "`[0.7, 0.15, 0.15]`"),
        Claim(TABULAR_2, "return random_split(data, [0.7, 0.15, 0.15], generator=seed)  # 割合なら何行でも動く"),
        Claim(TABULAR_4, "train = DataLoader(train_set, batch_size=32, shuffle=True)  # 280 行 ÷ 32 = 9 ステップ"),
        Claim(TABULAR_4, "検証は 60 行"),
        Claim(TABULAR_2, "seed = torch.Generator().manual_seed(42)  # いつ実行しても同じ分け方"))
def test_a_split_by_fractions_fits_any_size_and_gives_these_steps_per_epoch():
    seed = lambda n=42: torch.Generator().manual_seed(n)  # noqa: E731
    split = lambda rows, n=42: random_split(range(rows), [0.9, 0.1], generator=seed(n))  # noqa: E731
    assert [len(s) for s in split(60_000)] == [54_000, 6_000]
    assert [len(s) for s in split(301)] == [271, 30]  # 270.9 and 30.1 round down to 270 + 30: one row left over
    assert [list(s) for s in split(301)] == [list(s) for s in split(301)]  # the same seed, the same rows
    assert list(split(301)[1]) != list(split(301, 43)[1])
    assert sorted([*split(301)[0], *split(301)[1]]) == list(range(301))  # each row once
    assert len(DataLoader(range(54_000), batch_size=128)) == 422  # the last batch is a short one
    assert [len(s) for s in random_split(range(400), [0.7, 0.15, 0.15], generator=seed())] == [280, 60, 60]
    assert len(DataLoader(range(280), batch_size=32, shuffle=True)) == 9
    for rows in (7, 301, 12_345):  # fractions: any number of rows, none lost
        assert sum(len(s) for s in random_split(range(rows), [0.7, 0.15, 0.15], generator=seed())) == rows
    with pytest.raises(ValueError):
        random_split(range(301), [280, 60, 60])  # counts: only for the data they were written for


@claims(Claim(DATA_2, "`prepare_data` はダウンロード、`setup` は `stage`（`\"fit\"`、`\"test\"` など）ごとの準備"),
        Claim(DIGITS, 'data.setup("fit")  # fit の前に Trainer が呼ぶのと同じ'),
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


@claims(Claim(DATA_2, "def prepare_data(self):  # ダウンロードだけ：ノードごとに 1 プロセスで呼ばれる"),
        Claim(DATA_2, "prepare_data は、ノードごとに 1 つのプロセスでしか呼ばれません。"),
        Claim(DATA_2, "そこで self に何か持たせても他のプロセスには届かないので、Dataset は setup で作ります。"))
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
          "print(random_split(range(60_000), [0.9, 0.1], {})[1].indices[:5])")


@claims(Claim(DATA_2, "random_split(  # 割合で分ける：シード固定"),
        Claim(DATA_2, "シードを固定した generator を渡すと、どのプロセスでも、いつ実行しても同じ分け方になります。"),
        Claim(NO_DM, "分割は毎回同じになるようシードを固定する"),
        Claim(NO_DM, "ただし、複数のプロセスで学習するなら、すべてのプロセスで同じ分け方になるよう、分割のシードを固定しておきます。"),
        Claim(TABULAR_2, "seed = torch.Generator().manual_seed(42)  # いつ実行しても同じ分け方"),
        Claim(TABULAR_5, "train_set, _, test_set = load_csv(\"my_data.csv\")  # 同じシードなので同じ分け方"))
def test_a_seeded_split_is_the_same_in_every_process_and_an_unseeded_one_is_not():
    run = lambda generator: subprocess.run([sys.executable, "-c", _SPLIT.format(generator)],  # noqa: E731
                                           capture_output=True, text=True, check=True).stdout
    seeded = "generator=torch.Generator().manual_seed(42)"
    assert run(seeded) == run(seeded)
    assert run("") != run("")  # each process draws its own split: validation images would leak into training


@claims(Claim(SLURM_GPU, "実効バッチサイズは 128 × 8 プロセス = 1,024 になる"))
def test_each_process_loads_a_full_batch_through_its_distributed_sampler():
    from pytorch_lightning.trainer.states import RunningStage

    t = trainer(accelerator="cpu", devices=2, strategy="ddp")
    loader = t._data_connector._prepare_dataloader(
        DataLoader(range(1000), batch_size=128, shuffle=True), shuffle=True, mode=RunningStage.TRAINING)
    assert loader.batch_size == 128 and isinstance(loader.sampler, DistributedSampler)
    assert loader.sampler.num_replicas == t.world_size == 2  # each of world_size processes: 128 per step


# --------------------------------------------------------------------------------------------
# Trainer


@claims(Claim(TRAIN, "pl.seed_everything(42, workers=True)  # 乱数を固定（DataLoader のワーカーも）"))
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
