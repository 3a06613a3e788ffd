"""Claims of the same computation as the plain loop, of choosing the GPU (main part) and of the six features
(their appendix slides; feature 5, distributed training: test_appendix)."""

from __future__ import annotations

import pytest
import torch
from pytorch_lightning.demos.boring_classes import BoringModel

from .ledger import Claim, Docs, Shown, claims, docs, shown
from .lightning_fakes import default, fake_gpus, fake_mps, interactive, launcher, tiny_fit, trainer
from .slides import DEVICE, GPU, HALF, HOOKS_1, HOOKS_2, MODULE, MODULE_2, SAME, SIX, STEP_0, STRATEGY, TRAIN

CUDA_ENV = "https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#cuda-environment-variables"

shown(
    Shown(SIX, "1. Lightning のコードは PyTorch のコード", "same_loss.py", "PyTorch:   "),
    Shown(SIX, "2. PyTorch を隠すのではなく、整理する", "same_loss.py", "PyTorch:   "),
    Shown(SIX, "3. `LightningModule` に書かないコードは `Trainer` が自動で行う", "hook_order.py", STEP_0),
    Shown(SIX, "4. 学習・検証の中では `.cuda()` や `.to()` は不要", "device_transfer.py", "モデル True、バッチ True"),
    Shown(SIX, "5. 分散学習では `DistributedSampler` が自動で設定される", "ddp_sampler.py", HALF),
    Shown(SIX, "6. `LightningModule` は `torch.nn.Module` に機能を足したもの", "is_nn_module.py", "True\n"),
    Shown(SIX, "1 と 2 は本編の「Trainer は、いつものループと同じ計算をしている」で確かめました。", "same_loss.py", "PyTorch:   "),
    Shown(SAME, "loss は小数点以下 4 桁まで一致します。", "same_loss.py", "PyTorch:   "),
    Shown(SAME, "Trainer は、あのループと同じ処理を、決まった順番で呼び出しているだけです。", "same_loss.py", "PyTorch:   "),
    Shown(SAME, "どちらも CPU で比べています。", "same_loss.py", 'quick_trainer(accelerator="cpu"'),
    Shown(HOOKS_1, "コールバックは、Trainer が決まった時点で呼ぶメソッド、つまりフックを持つクラスです。", "hook_order.py", STEP_0),
    Shown(HOOKS_2, "2 ステップ学習して 1 回検証する", "hook_order.py",
          STEP_0 + "\n学習 1（training=True）: zero_grad → backward → step\n検証（training=False、grad=False）"),
    Shown(HOOKS_2, "学習中は学習モード、検証中は評価モードで勾配を計算しない。切り替えは `Trainer` が行う", "hook_order.py",
          "検証（training=False、grad=False）"),
    Shown(HOOKS_2, "それでも Trainer が毎ステップ正しい順番で呼び、検証の前には評価モードにして、勾配を計算しない設定にしています。",
          "hook_order.py", "zero_grad → backward → step\n検証（training=False、grad=False）"),
    Shown(DEVICE, "どのデバイスでも表示は True になります。", "device_transfer.py", "モデル True、バッチ True"),
    Shown(MODULE, "`nn.Module` を継承しているので、PyTorch の機能がそのまま使える", "is_nn_module.py", "True\n"),
    Shown(MODULE, "print(model(torch.zeros(1, 1, 28, 28)).shape)  # Trainer なしでも呼べる", "is_nn_module.py",
          "torch.Size([1, 10])"),
    Shown(MODULE, "Trainer を通さずに普通のモデルとして呼べます。", "is_nn_module.py", "torch.Size([1, 10])"),
)

docs(
    # The numbered list is on the 1.x LightningModule page; 2.x keeps 2-6 as prose.
    Docs(SIX, "Lightning の 1.x の公式ドキュメントに挙げられていた 6 つの特徴です。",
         "https://lightning.ai/docs/pytorch/LTS/common/lightning_module.html"),
    Docs(SIX, "2.x のドキュメントにも、番号なしで同じことが書かれています。",
         "https://lightning.ai/docs/pytorch/stable/common/lightning_module.html"),
    Docs(GPU, "`CUDA_VISIBLE_DEVICES=2 python train.py` | 2 番だけを見せる（コードはそのまま）", CUDA_ENV),
    Docs(GPU, "番号は CUDA の順番で、nvidia-smi の順番と違うことがあります。そろえる方法は付録の参考資料にあります。", CUDA_ENV),
)


# --------------------------------------------------------------------------------------------
# feature 4: devices


@claims(Claim(MODULE_2, "x, y = batch  # バッチはもうデバイス上にある"),
        Claim(DEVICE, "device = trainer.strategy.root_device  # Trainer が選んだデバイス"),
        Claim(DEVICE, "学習中のモデルとバッチが、Trainer が選んだデバイス上にあるかを表示します。"),
        Claim(DEVICE, "model = LitModule()  # 作った直後は CPU 上"),
        Claim(DEVICE, "学習の中で新しいテンソルを作るときは device に self.device を指定し"))
def test_the_model_and_the_batch_go_to_the_root_device(quiet, monkeypatch):
    seen, moved = [], []

    class Where(BoringModel):
        def to(self, *args, **kwargs):
            moved.append(args[0] if args else kwargs.get("device"))
            return super().to(*args, **kwargs)

        def transfer_batch_to_device(self, batch, device, dataloader_idx):
            seen.append(("batch to", device))
            return super().transfer_batch_to_device(batch, device, dataloader_idx)

        def on_train_batch_start(self, batch, batch_idx):
            seen.append((self.device, batch.device, self.trainer.strategy.root_device))

        def training_step(self, batch, batch_idx):
            seen.append(("training_step", batch.device))
            return super().training_step(batch, batch_idx)

    model = Where()
    assert model.device == torch.device("cpu")  # made on the CPU
    t = tiny_fit(max_steps=1, limit_val_batches=0)
    t.fit(model)
    root = t.strategy.root_device
    assert root in moved  # the Trainer moved the model to its device
    assert seen == [("batch to", root), (root, root, root),  # and each batch; self.device is that device
                    ("training_step", root)]  # training_step gets the batch already there


# --------------------------------------------------------------------------------------------
# feature 6: an nn.Module


@claims(Claim(MODULE, "print(list(model.state_dict())[:2])  # 保存と読み込みも PyTorch と同じ"),
        Claim(MODULE, "state_dict で保存も読み込みもでき"),
        Claim(MODULE, "既存の PyTorch のコードや道具とも、そのまま組み合わせられます。"))
def test_state_dict_and_torch_compile_work_as_for_any_module(quiet):
    from pytorch_lightning.utilities.compile import _maybe_unwrap_optimized

    model = BoringModel()
    torch.save(model.state_dict(), "weights.pt")
    copy = BoringModel()
    copy.load_state_dict(torch.load("weights.pt"))
    assert torch.equal(copy.layer.weight, model.layer.weight)
    assert _maybe_unwrap_optimized(torch.compile(model)) is model  # the Trainer takes a compiled module


# --------------------------------------------------------------------------------------------
# which GPU


@claims(Claim(GPU, "`Trainer()`（既定は `devices=\"auto\"`） | 見えている GPU をすべて（2 台以上なら分散学習）"),
        Claim(GPU, "Trainer を既定のまま動かすと、見えている GPU をすべて使ってしまいます。"),
        Claim(GPU, "研究室の共有サーバーでは既定のままにせず"),
        Claim(GPU, "Jupyter では `devices=\"auto\"` でも GPU 1 台だけ"),
        Claim(TRAIN, "devices=1, callbacks=[best, stop])  # GPU は 1 台"),
        Claim(DEVICE, "accelerator が auto なので、GPU があれば GPU、Apple Silicon なら MPS、なければ CPU が選ばれます。"),
        Claim(GPU, "`Trainer(devices=1)` | 見えている最初の 1 台（GPU がなければ CPU）"),
        Claim(GPU, "`Trainer(devices=[2])` | CUDA の 2 番の GPU だけ"),
        Claim(GPU, "train.py の devices=1 は、見えている最初の 1 台なので、共有サーバーでは 0 番を使い続けることになります。"),
        Claim(GPU, "nvidia-smi で空いている GPU を確かめて、番号を指定してください。"),
        Claim(STRATEGY, "macOS の CPU で試すなら `accelerator=\"cpu\"` も指定する（`\"auto\"` だと MPS になり、MPS は 1 台だけ）"))
def test_auto_takes_every_gpu_but_one_in_jupyter_and_devices_1_is_the_first_gpu_else_mps_else_the_cpu(monkeypatch):
    import lightning_fabric.accelerators.cuda as fabric_cuda

    with monkeypatch.context() as cuda:
        cuda.setattr(torch.cuda, "device_count", lambda: 3)  # what CUDA shows this process
        assert fabric_cuda.num_cuda_devices() == 3  # Lightning counts what CUDA shows
    assert default("accelerator") == "auto" and default("devices") == "auto"
    fake_gpus(monkeypatch, 0)
    cpu = trainer(devices=1)
    assert (type(cpu.accelerator).__name__, cpu.strategy.root_device) == ("CPUAccelerator", torch.device("cpu"))
    fake_gpus(monkeypatch, 4)
    t = trainer()
    assert t.num_devices == 4 and [d.index for d in t.strategy.parallel_devices] == [0, 1, 2, 3]
    assert (type(t.strategy).__name__, launcher(t)) == ("DDPStrategy", "_SubprocessScriptLauncher")
    gpu = trainer(devices=1)
    assert gpu.num_devices == 1
    assert (type(gpu.strategy).__name__, gpu.strategy.root_device) == ("SingleDeviceStrategy", torch.device("cuda", 0))
    chosen = trainer(devices=[2])
    assert chosen.num_devices == 1 and chosen.strategy.root_device == torch.device("cuda", 2)
    fake_mps(monkeypatch)
    assert trainer(devices=1).strategy.root_device == torch.device("mps", 0)
    with pytest.raises(Exception, match="only has: \\[0\\]"):
        trainer(devices=2)
    assert type(trainer(accelerator="cpu", devices=2).strategy).__name__ == "DDPStrategy"
    fake_gpus(monkeypatch, 4)
    interactive(monkeypatch)
    notebook = trainer()
    assert notebook.num_devices == 1 and type(notebook.strategy).__name__ == "SingleDeviceStrategy"
