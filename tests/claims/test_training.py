"""Claims of the second part: train.py (the best checkpoint, early stopping, the run's own folder and its
record), prediction in a new process, the values that depend on the data, the pitfalls (fast_dev_run: test_appendix,
with the demo Trainer)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from pytorch_lightning.demos.boring_classes import BoringModel, RandomDataset
from torch.utils.data import DataLoader, SequentialSampler

from .ledger import Claim, Docs, Shown, claims, docs, shown
from .lightning_fakes import Logs, Scored, fake_gpus, tiny_fit
from .slides import (MODULE_1, MODULE_2, OWN, PITFALLS, PREDICT, PREDICTIONS, RUNS, STATISTICS_CAME_BACK, SUMMARY,
                     TRAIN)

PRECISION = "https://lightning.ai/docs/pytorch/stable/common/precision_basic.html"

shown(
    Shown(PREDICT, "ここでは、いちばん新しい実行のフォルダーから best.ckpt を読みます。", "predict.py", "正解率 98% 以上: True"),
    Shown(PREDICT, "正解率 98% 以上", "predict.py", "正解率 98% 以上: True"),
    Shown(OWN, "実行例（分類）は付録の最初", "check_tabular.py",
          "多数派のクラスより正確: True\n" + STATISTICS_CAME_BACK),
    Shown(OWN, "学習用の行から計算し、モデルに持たせる", "check_tabular.py", STATISTICS_CAME_BACK),
    Shown(OWN, "正規化の平均と標準偏差は、学習用の行だけから計算し、モデルのバッファーに入れると、チェックポイントと一緒に保存されます。",
          "check_tabular.py", STATISTICS_CAME_BACK),
)

docs(
    Docs(PITFALLS, "混合精度 `precision=\"bf16-mixed\"` | GPU（Ampere 以降）で使う", PRECISION),
    Docs(PITFALLS, "混合精度は、一部の計算を 16 ビットにして、GPU で速度とメモリを節約する指定です。", PRECISION),
)


# --------------------------------------------------------------------------------------------
# the record


@claims(Claim(RUNS, "`tensorboard --logdir lightning_logs` で見る"),
        Claim(RUNS, "中身は `self.log` の記録（`events.out.tfevents.…`）"),
        Claim(MODULE_2, "`self.log` は既定で 50 ステップごとに記録する"),
        Claim(MODULE_2, "self.log は、既定では 50 ステップに 1 回しか記録しません。"),
        Claim(OWN, "記録の間隔（既定は 50 ステップ）"))
def test_the_default_logger_is_tensorboard_in_lightning_logs_and_records_every_50_steps(quiet, monkeypatch):
    import pytorch_lightning.trainer.connectors.logger_connector.logger_connector as lc
    from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = pl.Trainer(enable_progress_bar=False, accelerator="cpu", devices=1).logger
    assert type(logger) is TensorBoardLogger
    assert Path(logger.root_dir) == quiet / "lightning_logs"  # where `tensorboard --logdir lightning_logs` looks
    t = tiny_fit(logger=True, max_steps=120, limit_val_batches=0)
    assert t.log_every_n_steps == 50
    t.fit(Logs(), DataLoader(RandomDataset(32, 240), batch_size=2))
    assert [p.name for p in Path(t.logger.log_dir).glob("events.out.tfevents.*")]  # what TensorBoard reads
    events = EventAccumulator(t.logger.log_dir)
    events.Reload()
    assert [e.step for e in events.Scalars("train_loss")] == [49, 99]
    monkeypatch.setattr(lc, "_TENSORBOARD_AVAILABLE", False)  # as where it is not installed
    assert type(pl.Trainer(enable_progress_bar=False, accelerator="cpu", devices=1).logger) is CSVLogger


@claims(Claim(RUNS, "Colab でも、ノートブックのマジックコマンドで TensorBoard を開けます。"))
def test_tensorboard_is_an_ipython_extension_with_a_tensorboard_magic():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "tensorboard")
        assert "tensorboard" in shell.magics_manager.magics["line"]
    finally:
        InteractiveShell.clear_instance()


# --------------------------------------------------------------------------------------------
# the best checkpoint, early stopping


@claims(Claim(TRAIN, 'best = ModelCheckpoint(monitor="val_loss", filename="best")  # val_loss が最小の重み'),
        Claim(RUNS, "`checkpoints/best.ckpt`：最良の重み"),
        Claim(RUNS, "ModelCheckpoint に保存先を指定しなければ、重みは記録と同じ実行ごとのフォルダーに入ります。"),
        Claim(RUNS, "`lightning_logs/version_N/` の N は実行のたびに増える"),
        Claim(RUNS, "実行し直しても前の結果は上書きされず"))
def test_the_best_checkpoint_lands_in_the_runs_own_folder(quiet):
    for run in range(2):  # a rerun writes its own folder: no best-v1.ckpt beside the first run's best.ckpt
        best = ModelCheckpoint(monitor="val_loss", filename="best")
        t = tiny_fit(logger=True, max_steps=-1, max_epochs=4, limit_train_batches=2, limit_val_batches=1,
                     enable_checkpointing=True, callbacks=[best])
        t.fit(Scored([3.0, 1.0, 2.0, 2.5]))  # the best at the second check (end of epoch 1)
        folder = quiet / "lightning_logs" / f"version_{run}"
        assert Path(t.logger.log_dir) == folder and Path(best.best_model_path) == folder / "checkpoints" / "best.ckpt"
        assert (folder / "hparams.yaml").exists() and list(folder.glob("events.out.tfevents.*"))  # the run's logs too
        assert torch.load(best.best_model_path, weights_only=False)["global_step"] == 4  # epoch 1's weights, not the last
    assert sorted(p.relative_to(quiet).as_posix() for p in quiet.rglob("*.ckpt")) == [
        "lightning_logs/version_0/checkpoints/best.ckpt", "lightning_logs/version_1/checkpoints/best.ckpt"]


@claims(Claim(TRAIN, 'stop = EarlyStopping(monitor="val_loss", patience=5)  # 5 回続けて改善しなければ止める'),
        Claim(TRAIN, "5 回続けて改善しなければ止める"),
        Claim(TRAIN, "patience は検証の回数で数えます。"),
        Claim(TRAIN, "max_epochs は上限で、学習を止めるのは EarlyStopping です。"),
        Claim(OWN, "上限として大きく（500 など）、止めるのは `EarlyStopping`"),
        Claim(SUMMARY, "`max_epochs` は上限、止めるのは `EarlyStopping`"))
def test_patience_counts_validation_checks_and_max_epochs_is_only_a_cap(quiet, rank_zero_log, caplog):
    from pytorch_lightning.callbacks.early_stopping import EarlyStoppingReason

    flags = dict(max_steps=-1, limit_train_batches=2, limit_val_batches=1)
    scores = [1.0, 1.0, 2.0, 1.5, 1.2, 1.1, 0.5]  # the best at the first check, then five that are no better
    # once per epoch (the default): stopped after six checks, long before max_epochs
    t = tiny_fit(max_epochs=20, callbacks=[EarlyStopping(monitor="val_loss", patience=5)], **flags)
    t.fit(Scored(scores))
    assert t.current_epoch == 6 and t.global_step == 12  # epochs 0..5 ran
    # six checks in one epoch: patience counts checks, not epochs
    t = tiny_fit(max_steps=-1, max_epochs=20, limit_train_batches=12, val_check_interval=2, limit_val_batches=1,
                 callbacks=[EarlyStopping(monitor="val_loss", patience=5)])
    t.fit(Scored(scores))
    assert t.global_step == 12 and t.current_epoch == 1  # stopped at the end of the first epoch, after 6 checks
    # a metric logged only in validation is what both callbacks see: no error, a checkpoint per check
    with pytest.raises(Exception, match="val_loss"):
        tiny_fit(max_steps=2, limit_val_batches=0, enable_checkpointing=True,  # never validated: nothing to monitor
                 callbacks=[EarlyStopping(monitor="val_loss", check_on_train_epoch_end=True)]).fit(Logs())
    # min_delta: smaller gains are no improvement; stopped at epoch 3 of at most 100, saying why
    caplog.clear()
    stop = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.1, verbose=True)
    t = tiny_fit(max_epochs=100, callbacks=[stop], **flags)
    t.fit(Scored([1.0, 0.5, 0.45, 0.42, 0.1]))  # after 0.5: better by 0.05 and 0.08, less than min_delta
    assert t.should_stop and stop.stopped_epoch == 3 and t.current_epoch == 4  # epochs 0..3 of at most 100
    assert stop.wait_count == 2 and stop.best_score.item() == 0.5
    assert stop.stopping_reason == EarlyStoppingReason.PATIENCE_EXHAUSTED
    said = [r.getMessage() for r in caplog.records if r.name.endswith("early_stopping")]
    assert said == ["Metric val_loss improved. New best score: 1.000",
                    "Metric val_loss improved by 0.500 >= min_delta = 0.1. New best score: 0.500",
                    "Monitored metric val_loss did not improve in the last 2 records. Best score: 0.500. "
                    "Signaling Trainer to stop."]
    # still improving at the cap: max_epochs ends it, should_stop stays False
    caplog.clear()
    stop = EarlyStopping(monitor="val_loss", patience=2)
    t = tiny_fit(max_epochs=3, callbacks=[stop], **flags)
    t.fit(Scored([3.0, 2.0, 1.0]))
    assert (t.should_stop, stop.stopped_epoch, t.current_epoch) == (False, 0, 3)
    assert "`Trainer.fit` stopped: `max_epochs=3` reached." in caplog.messages


# --------------------------------------------------------------------------------------------
# prediction in a new process


class WithLr(BoringModel):
    def __init__(self, lr: float = 0.1):
        super().__init__()
        self.save_hyperparameters()


@claims(Claim(MODULE_1, "self.save_hyperparameters()  # 引数を self.hparams に保存（チェックポイントにも入る）"),
        Claim(MODULE_1, "save_hyperparameters を呼ぶと、init の引数がチェックポイントにも保存され、読み込むときに同じ設定でモデルを作り直せます。"),
        Claim(PREDICT, 'model = LitModule.load_from_checkpoint(run / "checkpoints/best.ckpt").eval()  # 評価モード'),
        Claim(PREDICT, "load_from_checkpoint は、保存したハイパーパラメーターでモデルを作り直し、重みを読み込みます。"),
        Claim(PREDICT, "with torch.no_grad():  # Trainer の外では、勾配を計算しない設定も自分で行う"),
        Claim(PREDICT, "Trainer の外では、評価モードと、勾配を計算しない設定を自分で行います。"))
def test_hyperparameters_rebuild_the_model_from_the_checkpoint_and_eval_is_left_to_you(quiet):
    model = WithLr(lr=0.25)
    assert model.hparams.lr == 0.25
    t = tiny_fit(enable_checkpointing=True, default_root_dir=quiet)
    t.fit(model)
    assert torch.load(t.checkpoint_callback.best_model_path, weights_only=False)["hyper_parameters"]["lr"] == 0.25
    loaded = WithLr.load_from_checkpoint(t.checkpoint_callback.best_model_path)
    assert loaded.hparams.lr == 0.25
    assert torch.equal(loaded.layer.weight, model.layer.weight)
    assert loaded.training and torch.is_grad_enabled()  # still training mode, gradients on: yours to switch
    assert loaded(torch.zeros(1, 32)).requires_grad
    assert loaded.eval() is loaded and not loaded.training  # .eval() returns the model: the deck chains it


@claims(Claim(PREDICT, 'data.setup("test")  # 新しいプロセスでは、使う stage を自分で準備する'),
        Claim(PREDICT, "accuracy = (torch.cat(pred) == data.test_set.targets).float().mean().item()  # 1 万枚すべて"),
        Claim(PREDICTIONS, "テスト画像の先頭 10 枚を描く"))
def test_outside_the_trainer_nobody_calls_setup(quiet):
    class Data(pl.LightningDataModule):  # as LitDataModule: the test set is made in setup("test")
        def setup(self, stage):
            if stage == "test":
                self.test_set = RandomDataset(32, 300)

        def test_dataloader(self):
            return DataLoader(self.test_set, batch_size=128)

    fresh = Data()  # a new process: no Trainer has called setup
    with pytest.raises(AttributeError, match="test_set"):
        fresh.test_dataloader()
    fresh.setup("test")
    loader = fresh.test_dataloader()
    assert isinstance(loader.sampler, SequentialSampler)  # no shuffle: the first batch is the first 128, the
    # predictions of all batches, concatenated, are in the order of the set's own labels (predict.py compares them)
    assert torch.equal(next(iter(loader)), torch.stack([fresh.test_set[i] for i in range(128)]))


@claims(Claim(PREDICT, "GPU で保存した重みは、GPU がある環境では GPU に読み込まれるので、バッチを model.device に送り、結果を CPU に戻しています。"))
def test_a_checkpoint_comes_back_on_the_device_it_was_saved_from(quiet, monkeypatch):
    # No GPU here. 1) torch.load puts tensors back on the device they were saved from ("meta" stands in):
    torch.save({"w": torch.empty(2, device="meta")}, "meta.pt")
    assert torch.load("meta.pt")["w"].device.type == "meta"
    # 2) load_from_checkpoint moves the model to the device of the loaded weights (made to say cuda:0).
    import pytorch_lightning.core.saving as saving

    class OnGPU(torch.Tensor):
        @property
        def device(self):
            return torch.device("cuda", 0)

    t = tiny_fit(enable_checkpointing=True, default_root_dir=quiet)
    t.fit(BoringModel())
    load = saving.pl_load

    def as_saved_on_gpu(path, map_location=None, **kwargs):
        checkpoint = load(path, map_location=map_location, **kwargs)
        checkpoint["state_dict"] = {k: v.as_subclass(OnGPU) for k, v in checkpoint["state_dict"].items()}
        return checkpoint

    monkeypatch.setattr(saving, "pl_load", as_saved_on_gpu)
    moved = []

    class Model(BoringModel):
        def to(self, *args, **kwargs):
            moved.append(args)
            return self

    Model.load_from_checkpoint(t.checkpoint_callback.best_model_path)
    assert moved == [(torch.device("cuda", 0),)]
    # 3) only where there is a GPU: without one, load_from_checkpoint maps what was saved on a GPU to the CPU
    storage = torch.UntypedStorage(4)
    fake_gpus(monkeypatch, 0)
    assert saving._default_map_location(storage, "cuda:0") is not None  # moved to the CPU
    fake_gpus(monkeypatch, 1)
    assert saving._default_map_location(storage, "cuda:0") is None  # torch.load's own: back on the GPU


# --------------------------------------------------------------------------------------------
# mixed precision


@claims(Claim(PITFALLS, "CPU でも動きます"))
def test_bf16_mixed_runs_on_the_cpu_in_bfloat16(quiet):
    seen = []

    class Model(BoringModel):
        def training_step(self, batch, batch_idx):
            seen.append((self.layer(batch).dtype, self.layer.weight.dtype))
            return super().training_step(batch, batch_idx)

    t = tiny_fit(fast_dev_run=True, precision="bf16-mixed")
    t.fit(Model())
    assert t.precision == "bf16-mixed" and t.global_step == 1
    assert seen == [(torch.bfloat16, torch.float32)]  # computed in bf16, weights kept in float32: mixed
