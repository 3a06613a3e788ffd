"""Claims ledger: every sentence of the deck that says how Lightning, PyTorch or the tooling behaves.

Each claim names its slide by heading (numbers change), quotes the sentence, and checks the
behaviour on this machine (pytorch-lightning 2.6.6, torch 2.14.1, CPU only). When Lightning changes
behaviour, the failing test names the sentence to rewrite; when the sentence is rewritten,
`test_every_claim_is_still_on_its_slide` names the test to revisit. That one test reads the deck
for all of them (marked ``reads_deck``: it runs on every prose edit), so the behaviour tests need
not, and stay cached while only words change (conftest.py).

| evidence                                                           | claims |
| ------------------------------------------------------------------ | -----: |
| (a) an executed block on the slide whose checked output shows it  |     32 |
| (b) a test in this file that checks it on this machine             |    144 |
| (c) a docs link in the slide's note: needs what this machine lacks |     29 |
|     (GPU, MPS, Windows, macOS, a cluster, the `lightning` package) |        |
|     or says what the docs themselves say                           |        |
| (d) the SLURM slides' notes carry no links: a docs link kept here, |     13 |
|     or a test of the real cluster (tests/test_slurm_cluster.py)    |        |
| total                                                              |    218 |

(a) are listed in ON_SLIDE (and SLURM_ON_SLIDE) and (c) in DOCS below; every `claim(...)` call in a test is
one (b); (d) is SLURM_EVIDENCE, in the SLURM section at the end.
`test_the_ledger_table_counts_what_is_here` keeps this table true. Device counts are faked the way
Lightning's own tests do (tests_pytorch/conftest.py `mock_cuda_count`): by replacing
`num_cuda_devices` in the modules that call it; nothing is fitted on a faked device. The same fakes hide
a real GPU (CUDA or MPS) of the machine, and every fit here names `accelerator="cpu"`, so the ledger
passes on a GPU machine too (tests/test_device_independence.py).
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import json
import multiprocessing
import re
import shlex
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.demos.boring_classes import BoringModel, RandomDataset
from pytorch_lightning.loggers import CSVLogger
from torch.utils.data import DataLoader, DistributedSampler

import deck
from deck.paths import DATA, DECKS, ROOT

DECK = DECKS[0]
reads_deck = pytest.mark.reads_deck


def model() -> deck.Deck:
    return deck.load(DECK)  # read each time (parsed once): conftest.py sees which tests read the deck


def slide(heading: str) -> str:
    """The whole text of the slide headed `heading`: prose, code, expected output, notes."""
    slides = {s.title: s.source for s in model().slides if s.title}
    assert heading in slides, f"no slide headed「{heading}」any more: update tests/test_claims.py"
    return slides[heading]


def missing(heading: str, quote: str) -> str | None:
    """Why the deck no longer says `quote` on the slide headed `heading`, or None when it does."""
    flat = lambda s: re.sub(r"\s+", " ", s)  # noqa: E731  (a quote may wrap in the source)
    try:
        return None if flat(quote) in flat(slide(heading)) else f"slide「{heading}」no longer says「{quote}」"
    except AssertionError as e:
        return str(e)


def on_slide(heading: str, quote: str) -> None:
    if problem := missing(heading, quote):
        pytest.fail(f"{problem}: revisit this test", pytrace=False)


def claim(heading: str, quote: str) -> None:
    """The test that calls this checks the sentence `quote` of the slide headed `heading`.
    The quote itself is checked by test_every_claim_is_still_on_its_slide, which reads the deck."""


def expected_output(heading: str) -> str:
    slide(heading)
    m = model()
    outputs = [b.expected_output for b in m.blocks if b.expected and m.slide_at(b.expected.line).title == heading]
    assert outputs, f"slide「{heading}」has no checked output"
    return outputs[0]


def claims_in_tests() -> list[tuple[str, str, str]]:
    """Every `claim(heading, quote)` in a test of this file: (test, heading, quote), read from the source."""
    found = []
    for test in ast.parse(Path(__file__).read_text(encoding="utf-8")).body:
        if isinstance(test, ast.FunctionDef) and test.name.startswith("test_"):
            for call in ast.walk(test):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "claim":
                    heading, quote = (globals()[a.id] if isinstance(a, ast.Name) else ast.literal_eval(a)
                                      for a in call.args)
                    found.append((test.name, heading, quote))
    return found


@reads_deck
def test_every_claim_is_still_on_its_slide():
    problems = [f"{test}: {problem}" for test, heading, quote in claims_in_tests()
                if (problem := missing(heading, quote))]
    assert not problems, "revisit these tests:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------------
# (a) shown by the slide's own executed block and its checked output (pytest slides runs them)

BENEFITS = "`LightningModule` と `Trainer` の利点"
REHEARSAL = "付録：複数 GPU・複数ノード（2/4）：予行演習"
CLUSTER = "付録：複数 GPU・複数ノード（3/4）：クラスター"
TRAIN_PY = "付録：複数 GPU・複数ノード（1/4）：`train.py`"
QUIET = "準備：表示を整える"

ON_SLIDE = [
    ("付録：複数 GPU・複数ノード（2/4）：予行演習", "2 つのノードがランデブー（待ち合わせ）で合流し、55,000 枚を半分ずつ受け持った",
     "global_rank=1 node_rank=1 world_size=2  DistributedSampler: 27,500 / 55,000 枚"),
    ("学習したモデルを使う", "既定の ModelCheckpoint が最後に保存したファイル", "lightning_logs/version_0/checkpoints/"),
    ("学習したモデルを使う", "load_from_checkpoint(path)", "128 枚中 120 枚以上正解: True"),
    ("Trainer", "テスト用の 1 万枚で 98% 以上", None),  # the block's assert
    ("LightningModule（3/3）：オプティマイザー", "1 エポックでも高い精度に届く", None),  # the fit's assert
    ("特徴 1：Lightning のコードは PyTorch のコード", "`Trainer` なしでも PyTorch だけで動く", "Sequential"),
    ("特徴 2：抽象化ではなく整理（3/3）", "結果も小数点以下 4 桁まで一致する", "0.2666"),
    ("特徴 3：残りは `Trainer` が自動化（2/2）", "学習中は `train()` モード、検証中は `eval()` モードかつ勾配なし",
     "検証バッチ: training=False, grad=False"),
    ("特徴 3：残りは `Trainer` が自動化（2/2）", "`zero_grad()` → `backward()` → `step()` を毎ステップ `Trainer` が呼ぶ",
     "  zero_grad\n  backward\n  optimizer.step"),
    (BENEFITS, "モデルのモード（`train()` / `eval()`）を `Trainer` が自動で切り替え",
     "学習バッチ 0: training=True"),
    (BENEFITS, "勾配まわり（`zero_grad()`、`backward()`、`step()`）を `Trainer` が実行",
     "  zero_grad\n  backward\n  optimizer.step"),
    (BENEFITS, "`self.device` で現在のデバイスを取得できる", "fit の後: cpu"),
    ("特徴 4：`.cuda()` や `.to()` は不要", "device = trainer.strategy.root_device  # Trainer が選んだデバイス",
     "Trainer のデバイスの上にあるか：モデル True、バッチ True"),
    ("特徴 6：`LightningModule` は `torch.nn.Module`", "`nn.Module` を継承しているので", "True\n"),
    ("`ModelCheckpoint` と `EarlyStopping`", "val_acc が最大の重みを残す", "テストの重みは val_acc が最良のもの: True"),
    ("`ModelCheckpoint` と `EarlyStopping`", "2 回続いたら学習を止める", "最大 200 ステップより前に止まった: True"),
    ("`num_workers` を増やすときのガード", "2 つのワーカーで読み込む", "ワーカー 2 個"),
    ("付録：特徴 5 `DistributedSampler` は自動（2/2）", "55,000 枚の半分ずつを受け持っている", "27,500 / 55,000 枚"),
    ("付録：特徴 5 `DistributedSampler` は自動（2/2）", "`DataLoader` にはサンプラーを渡していない", "DistributedSampler"),
    ("LightningDataModule（2/3）", "各プロセスで呼ばれる：ここで self に Dataset を持たせる",
     "global_rank=1 node_rank=0 world_size=2  DistributedSampler"),
    ("付録：`self.log()` の値は本当に記録される", "`log_every_n_steps`（既定は 50）ステップごとに記録される",
     "['4', '9', '14', '19']"),
    ("付録：`self.log()` の値は本当に記録される", "検証の終わりにエポック平均が記録される", "val_acc を記録したステップ: ['19']"),
    ("LightningDataModule（3/3）", "`num_workers` を増やすとデータ読み込みが並列化される", "ワーカー 2 個"),
]
# Where the output that proves a claim sits on another slide of the deck.
_OUTPUT_ELSEWHERE = {
    "モデルのモード（`train()` / `eval()`）を `Trainer` が自動で切り替え": "特徴 3：残りは `Trainer` が自動化（2/2）",
    "勾配まわり（`zero_grad()`、`backward()`、`step()`）を `Trainer` が実行": "特徴 3：残りは `Trainer` が自動化（2/2）",
    "`self.device` で現在のデバイスを取得できる": "特徴 4：`.cuda()` や `.to()` は不要",
    "各プロセスで呼ばれる：ここで self に Dataset を持たせる": "付録：特徴 5 `DistributedSampler` は自動（2/2）",
    "`num_workers` を増やすとデータ読み込みが並列化される": "`num_workers` を増やすときのガード",
}


@reads_deck
@pytest.mark.parametrize(("heading", "quote", "shown"), ON_SLIDE, ids=[q for _, q, _ in ON_SLIDE])
def test_claims_shown_by_a_checked_block(heading, quote, shown):
    on_slide(heading, quote)
    source = _OUTPUT_ELSEWHERE.get(quote, heading)
    if shown is None:  # shown by the main fit's assert, not by printed output
        assert "assert result[0][\"test_acc\"] >= 0.98" in slide("Trainer")
    else:
        assert shown in expected_output(source)


# --------------------------------------------------------------------------------------------
# (c) needs hardware, an OS or a package this machine lacks: the note links the docs page

DOCS = [
    ("`lightning` と `pytorch-lightning`", "公式ドキュメントと公式の README は `pip install lightning` と `import lightning as L`",
     "https://lightning.ai/docs/pytorch/stable/starter/installation.html"),
    ("`lightning` と `pytorch-lightning`", "クラス名も書き方も同じ",
     "https://lightning.ai/docs/pytorch/stable/starter/installation.html"),
    ("`lightning` と `pytorch-lightning`", "同じ PyTorch Lightning が 2 つのパッケージ名で配布されている",
     "https://lightning.ai/docs/pytorch/stable/starter/installation.html"),
    ("`lightning` と `pytorch-lightning`", "`lightning` パッケージは PyTorch Lightning を `lightning.pytorch` として含み、Fabric なども同梱する",
     "https://lightning.ai/docs/pytorch/stable/starter/installation.html"),
    ("`lightning` と `pytorch-lightning`", "2 つは同じソースから作られた別々のパッケージ",
     "https://lightning.ai/docs/pytorch/stable/starter/installation.html"),
    ("PyTorch Lightning のメリット", "学習ループは Lightning 側で用意され、テストされている",
     "https://github.com/Lightning-AI/pytorch-lightning/tree/master/tests"),
    ("LightningModule", "1.5 以前の資料では 5 つで、予測（`predict_step`）がなかった",
     "https://lightning.ai/docs/pytorch/1.5.0/common/lightning_module.html"),
    ("Lightning の 6 つの特徴", "1.x の公式ドキュメントの `LightningModule` のページに、番号付きで挙げられていた特徴",
     "https://lightning.ai/docs/pytorch/LTS/common/lightning_module.html"),
    ("Lightning の 6 つの特徴", "2.x のページでも、2〜6 は文章として残っている",
     "https://lightning.ai/docs/pytorch/stable/common/lightning_module.html"),
    ("インストール", "Windows で NVIDIA GPU を使うなら、先に PyTorch 公式サイトのコマンドで `torch` を入れる",
     "https://pytorch.org/get-started/locally/"),
    ("インストール", "Windows は CPU 版", "https://pytorch.org/get-started/locally/"),
    ("インストール", "macOS は CUDA なし（MPS は使える）", "https://pytorch.org/get-started/locally/"),
    ("インストール", "`--torch-backend=auto` を付けると", "https://docs.astral.sh/uv/guides/integration/pytorch/"),
    ("インストール", "conda install pytorch-lightning torchvision matplotlib -c conda-forge",
     "https://anaconda.org/conda-forge/pytorch-lightning"),
    ("インストール", "conda-forge にも `pytorch-lightning` があるので、コードはそのまま動く",
     "https://anaconda.org/conda-forge/pytorch-lightning"),
    ("Trainer", "`seed_everything` だけでは、GPU の計算まで完全には再現されない",
     "https://lightning.ai/docs/pytorch/stable/common/trainer.html#deterministic"),
    ("特徴 2：抽象化ではなく整理（3/3）", "GPU どうしで完全に一致させるには、決定的なアルゴリズムの指定も必要",
     "https://pytorch.org/docs/stable/notes/randomness.html"),
    ("特徴 4：`.cuda()` や `.to()` は不要", "GPU があれば cuda:0、Apple Silicon では mps:0 になる",
     "https://lightning.ai/docs/pytorch/stable/accelerators/gpu_basic.html"),
    ("学習したモデルを使う", "CPU と GPU では、同じシードでも同じ結果になるとは限らない",
     "https://pytorch.org/docs/stable/notes/randomness.html"),
    ("`ModelCheckpoint` と `EarlyStopping`", "学習したデバイスでも変わる",
     "https://pytorch.org/docs/stable/notes/randomness.html"),
    ("GPU の選び方：共有サーバーでは台数を指定する", "このプロセスに見える GPU を 2 番だけにする",
     "https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#cuda-environment-variables"),
    ("GPU の選び方：共有サーバーでは台数を指定する", "`nvidia-smi` の番号と合わせるには、`CUDA_DEVICE_ORDER=PCI_BUS_ID` も付ける",
     "https://docs.nvidia.com/cuda/cuda-c-programming-guide/index.html#cuda-environment-variables"),
    ("付録：分散学習の `strategy` の選び方", "公式ドキュメントではデバッグ用",
     "https://lightning.ai/docs/pytorch/stable/accelerators/gpu_intermediate.html"),
    ("付録：分散学習の `strategy` の選び方", "Windows の PyTorch には NCCL がない", "https://pytorch.org/docs/stable/distributed.html"),
    (CLUSTER, "`torchrun` での起動は", "https://lightning.ai/docs/pytorch/stable/clouds/cluster_intermediate_2.html"),
    # Colab's runtime, as Google publishes its `pip freeze` (GPU runtime: torch 2.11.0+cu128, torchvision
    # 0.26.0+cu128, matplotlib 3.10.0, tensorboard 2.20.0, no pytorch-lightning).
    ("インストール", "Colab には `torch`・`torchvision`・`matplotlib` が最初から入っている",
     "https://github.com/googlecolab/backend-info/blob/main/pip-freeze.gpu.txt"),
    (QUIET, "Lightning の表示は Python の `logging` で設定できる",
     "https://lightning.ai/docs/pytorch/stable/common/console_logs.html"),
    (QUIET, "1 つの警告だけを止める方法として、Lightning のドキュメントは `warnings.filterwarnings` を挙げている",
     "https://lightning.ai/docs/pytorch/stable/advanced/warnings.html"),
    # This machine's Python is 3.11: the warning is not shown here.
    ("付録：特徴 5 `DistributedSampler` は自動（2/2）",
     "Python 3.12 以降では、スレッドのあるプロセスで fork すると `DeprecationWarning` の出ることがある",
     "https://docs.python.org/3/library/os.html#os.fork"),

]


@reads_deck
@pytest.mark.parametrize(("heading", "quote", "url"), DOCS, ids=[q for _, q, _ in DOCS])
def test_claims_backed_by_a_docs_link_in_the_note(heading, quote, url):
    on_slide(heading, quote)
    notes = "".join(re.findall(r"<!--(.*?)-->", slide(heading), re.S))
    assert url in notes, f"the note of「{heading}」should link {url}"


# --------------------------------------------------------------------------------------------
# helpers for (b)


def fake_gpus(monkeypatch, n: int, mps: bool = False) -> None:
    """n CUDA devices, as Lightning's tests fake them (tests_pytorch/conftest.py mock_cuda_count), and
    no MPS unless asked: the machine's own GPU, CUDA or MPS, is hidden (`make test` passes there too)."""
    import lightning_fabric.accelerators.cuda as fabric_cuda
    import pytorch_lightning.accelerators.cuda as pl_cuda
    from lightning_fabric.accelerators.mps import MPSAccelerator

    monkeypatch.setattr(fabric_cuda, "num_cuda_devices", lambda: n)
    monkeypatch.setattr(pl_cuda, "num_cuda_devices", lambda: n)
    monkeypatch.setattr(MPSAccelerator, "is_available", staticmethod(lambda: mps))


def fake_mps(monkeypatch) -> None:
    """Apple Silicon: MPS and no CUDA."""
    fake_gpus(monkeypatch, 0, mps=True)


def interactive(monkeypatch) -> None:
    """As in Jupyter: IPython sets sys.ps1, which lightning_fabric.utilities.imports reads at import."""
    import pytorch_lightning.trainer.connectors.accelerator_connector as connector

    monkeypatch.setattr(connector, "_IS_INTERACTIVE", True)


def trainer(**flags) -> pl.Trainer:
    settings = dict(logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pl.Trainer(**(settings | flags))


def launcher(t: pl.Trainer) -> str:
    return type(t.strategy.launcher).__name__ if t.strategy.launcher else "none"


def default(name: str):
    return inspect.signature(pl.Trainer).parameters[name].default


@pytest.fixture
def quiet(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield tmp_path


def tiny_fit(**flags) -> pl.Trainer:
    t = trainer(**({"max_steps": 2, "limit_val_batches": 2, "num_sanity_val_steps": 0, "accelerator": "cpu",
                    "devices": 1} | flags))
    return t


# --------------------------------------------------------------------------------------------
# (b) checked here: title, outline, 備考


@reads_deck
def test_every_block_runs():
    claim("PyTorch Lightning 入門", "付録の 2 ノードの予行演習も含めてすべて実行してテストしている")
    claim("備考：ノートブックと本スライドについて", "コードはすべて `pytest-codeblocks` で実行してテスト（付録の 2 ノードの予行演習も含む）")
    assert [b.name for b in model().blocks if b.skipped or b.marks] == []


@reads_deck
def test_every_shown_output_is_checked():
    claim("デモ用の小さな Trainer", "出力ブロックはすべて実際の出力（テストで毎回照合している）")
    shown = [f for s in model().slides for f in s.fences if f.info == "text"]
    assert {f.line for f in shown} == {b.expected.line for b in model().blocks if b.expected}


@reads_deck
def test_the_notebook_is_the_decks_code_and_installs_first():
    claim("備考：ノートブックと本スライドについて", "最初のセルで必要なパッケージを入れる")
    claim("備考：ノートブックと本スライドについて", "ノートブックもスライドから作っているので、スライドと同じコードが動く")
    from deck.paths import NOTEBOOK
    from tools import notebook

    built = notebook.build(DECK)
    assert notebook.text(DECK) == NOTEBOOK.read_text(encoding="utf-8")
    first = next(c for c in built.cells if c.cell_type == "code").source
    assert first.startswith("%pip install") and "pytorch-lightning" in first and "torchvision" in first


def test_marp_cli_writes_html_pdf_and_pptx():
    claim("備考：ノートブックと本スライドについて", "[Marp CLI](https://github.com/marp-team/marp-cli) で HTML / PDF / PPTX を生成")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for kind, flag in (("html", ""), ("pdf", " --pdf"), ("pptx", " --pptx")):
        assert f"build/%.{kind}: slides/%.md" in makefile and f"tools.marp_build $<{flag} -o $@" in makefile, kind
    assert '"@marp-team/marp-cli"' in (ROOT / "package.json").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# (b) what Lightning is, packages, install


def test_license_is_apache():
    claim("PyTorch Lightning とは", "Apache-2.0")
    meta = importlib.metadata.metadata("pytorch-lightning")
    assert "Apache" in (meta.get("License") or "") + (meta.get("License-Expression") or "") + str(meta.get_all("Classifier"))


def test_mixing_the_two_packages_raises_a_typeerror(quiet):
    claim("`lightning` と `pytorch-lightning`",
          "混ぜると `Trainer` が `TypeError` で止まる（自作のモデルなら \"`model` must be a `LightningModule` …\"）")
    claim("`lightning` と `pytorch-lightning`",
          "Lightning 自身のクラスを混ぜたときは \"Please switch to a single import style.\" と表示される")
    # `lightning` is not installed here: a class from the other package, as Lightning sees it (its module name).
    Other = type("LightningModule", (), {"__module__": "lightning.pytorch.core.module"})
    with pytest.raises(TypeError, match="Please switch to a single import style"):
        trainer(accelerator="cpu", devices=1).fit(Other())
    # The reader's own model lives in their module (litmodule), so Lightning cannot tell it is a mix.
    LitModule = type("LitModule", (Other,), {"__module__": "litmodule"})
    with pytest.raises(TypeError, match="`model` must be a `LightningModule` or `torch._dynamo.OptimizedModule`, got `LitModule`"):
        trainer(accelerator="cpu", devices=1).fit(LitModule())


def test_python_version_and_tested_version():
    claim("インストール", "Python 3.10 以上が必要（`pytorch-lightning` 2.6 の要件）")
    claim("インストール", "（本スライドは 2.6.6 で確認）")
    assert importlib.metadata.metadata("pytorch-lightning")["Requires-Python"] == ">=3.10"
    assert pl.__version__ == "2.6.6"


def test_pypi_torch_on_linux_is_a_cuda_build_even_without_a_gpu():
    claim("インストール", "Linux は CUDA 版（GPU がなくても）")
    assert sys.platform == "linux" and torch.version.cuda is not None
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the CUDA build is shown, not that it needs none")
    dist = importlib.metadata.distribution("torch")
    assert dist.read_text("direct_url.json") is None  # from an index (PyPI), not a local file or URL


def test_grpc_variables_are_not_needed():
    claim("インストール", "古い資料にある Apple Silicon 向けの環境変数（`GRPC_PYTHON_BUILD_...`）は不要")
    claim("インストール", "TensorBoard が Lightning の依存から外れた今は必要ない")
    required = [r.split(";")[0] for r in importlib.metadata.requires("pytorch-lightning") if "extra ==" not in r]
    assert not any(re.match(r"(tensorboard|tensorboardX|grpcio)\b", r) for r in required), required


@reads_deck
def test_pip_without_u_keeps_what_is_installed_so_colabs_torch_stays():
    claim("インストール", "`-U` を付けない pip は、入っている版で足りるパッケージを入れ替えない")
    claim("インストール", "そのため Colab で新しく入るのは `pytorch-lightning` とその依存（`torchmetrics` など）で、Colab の CUDA 版の `torch` はそのまま使われる。")
    claim("インストール", "`matplotlib` は、MNIST の画像や学習曲線の図を描くのに使う。")
    from packaging.requirements import Requirement

    install = next(b for b in model().blocks if b.name == "install.sh")
    first = install.code.splitlines()[0]
    assert first.startswith("pip install ") and "-U" not in first.split() and "--upgrade" not in first
    assert not re.search(r"\btorch\b(?!vision)", first), "the install line names no torch"
    # Here everything is installed, as torch/torchvision/matplotlib are on Colab: pip installs nothing.
    report = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--quiet", "--report", "-",
                             *shlex.split(first)[2:]], capture_output=True, text=True, check=True)
    assert json.loads(report.stdout)["install"] == []
    # pytorch-lightning accepts Colab's torch (2.11.0+cu128 in its published pip freeze).
    torch_req = next(Requirement(r) for r in importlib.metadata.requires("pytorch-lightning") if Requirement(r).name == "torch")
    assert torch_req.specifier.contains("2.11.0") and not torch_req.marker
    assert any("import matplotlib" in b.code for b in model().blocks)


def test_a_pinned_torchvision_asks_for_its_own_torch():
    claim("インストール", "`torchvision==0.29.1` のように版を指定すると、Colab の `torch` が 2.14 より古ければ `torch` も入れ替わる。")
    claim("インストール", "`torchvision` の各版は使える `torch` の版を決めていて、0.29.1 は 2.14 以上を求めるため。")
    from packaging.requirements import Requirement

    if importlib.metadata.version("torchvision") != "0.29.1":
        pytest.skip(f"the sentence is about torchvision 0.29.1; installed: {importlib.metadata.version('torchvision')}")
    torch_req = next(Requirement(r) for r in importlib.metadata.requires("torchvision") if Requirement(r).name == "torch")
    assert str(torch_req.specifier) == ">=2.14.0"
    assert not torch_req.specifier.contains("2.11.0")  # Colab's torch: pip would replace it


@reads_deck
def test_lightning_cli_needs_jsonargparse_and_the_install_slide_installs_it():
    claim("インストール", "`jsonargparse` は付録の `LightningCLI` が使う。`pytorch_lightning.cli` が 4.27.7 以上を求める。")
    claim(TRAIN_PY, "`jsonargparse[signatures]` が必要で、インストールのスライドで入れている")
    import pytorch_lightning.cli as cli

    assert cli._JSONARGPARSE_SIGNATURES_AVAILABLE.requirement == "jsonargparse[signatures]>=4.27.7"
    assert cli._JSONARGPARSE_SIGNATURES_AVAILABLE  # installed here, by the same line
    install = next(b for b in model().blocks if b.name == "install.sh")
    assert 'pip install "jsonargparse[signatures]>=4.27.7"' in install.code


def test_apple_silicon_gets_mps_automatically(monkeypatch):
    claim("インストール", "Apple Silicon では、`torch` の MPS（GPU）を Lightning が自動で使う")
    fake_mps(monkeypatch)
    t = trainer()
    assert type(t.accelerator).__name__ == "MPSAccelerator" and t.num_devices == 1


def test_mnist_sizes():
    claim("3 つの構成要素", "MNIST（手書き数字：学習用 6 万枚、テスト用 1 万枚）")
    raw = DATA / "MNIST" / "raw"
    if not raw.is_dir():
        pytest.skip("MNIST is not staged: make data")
    count = lambda name: int.from_bytes((raw / name).read_bytes()[4:8], "big")  # noqa: E731  (IDX header)
    assert (count("train-images-idx3-ubyte"), count("t10k-images-idx3-ubyte")) == (60_000, 10_000)


# --------------------------------------------------------------------------------------------
# (b) LightningDataModule


def test_prepare_data_runs_on_local_rank_zero_of_each_node_at_every_fit_and_test(monkeypatch, quiet):
    claim("LightningDataModule（2/3）", "ダウンロードだけ：fit・test のたびに、各ノードのローカルランク 0 でだけ呼ばれる")
    claim("LightningDataModule（2/3）", "`prepare_data` の中で `self` に状態を持たせない。他のプロセスへは伝わらない。")
    calls = []

    class DM(pl.LightningDataModule):
        def prepare_data(self):
            calls.append(1)

    assert DM().prepare_data_per_node is True
    for local_rank, node_rank, runs in [(0, 0, 1), (0, 1, 1), (1, 0, 0), (3, 1, 0)]:
        t = trainer()
        monkeypatch.setattr(pl.Trainer, "local_rank", property(lambda self, r=local_rank: r))
        monkeypatch.setattr(pl.Trainer, "node_rank", property(lambda self, r=node_rank: r))
        t._data_connector.attach_datamodule(BoringModel(), DM())
        calls.clear()
        t._data_connector.prepare_data()
        assert len(calls) == runs, (local_rank, node_rank)
    monkeypatch.undo()

    class Data(DM):
        def train_dataloader(self):
            return DataLoader(RandomDataset(32, 4), batch_size=2)

        test_dataloader = train_dataloader

    calls.clear()
    model, data = BoringModel(), Data()
    t = tiny_fit(max_steps=1, limit_val_batches=0)
    t.fit(model, data)
    t.test(model, data, verbose=False)
    assert len(calls) == 2  # once for the fit, once for the test


def test_the_split_is_the_same_every_time():
    claim("LightningDataModule（2/3）", "何度実行しても同じ 55,000 / 5,000 に分かれる")
    split = lambda: torch.utils.data.random_split(range(60_000), [55_000, 5_000], generator=torch.Generator().manual_seed(42))  # noqa: E731
    assert split()[1].indices == split()[1].indices


def test_distributed_sampler_is_on_by_default():
    claim("LightningDataModule（3/3）", "分散学習のときの `DistributedSampler` は Lightning が自動で設定する")
    claim("Lightning の 6 つの特徴", "`Trainer` の `use_distributed_sampler=True` が既定値")
    claim("付録：特徴 5 `DistributedSampler` は自動（2/2）", "`Trainer` の `use_distributed_sampler=True`（既定値）による")
    assert default("use_distributed_sampler") is True


def test_distributed_sampler_pads_when_uneven():
    claim("付録：特徴 5 `DistributedSampler` は自動（2/2）", "枚数がプロセス数で割り切れないときは、`DistributedSampler` が一部のデータを重複させて枚数をそろえる")
    ranks = [list(DistributedSampler(range(5), num_replicas=2, rank=r, shuffle=False)) for r in (0, 1)]
    assert ranks == [[0, 2, 4], [1, 3, 0]]


# --------------------------------------------------------------------------------------------
# (b) LightningModule


def test_the_six_sections_are_hooks_of_lightningmodule():
    claim("LightningModule", "PyTorch のコードを 6 つのセクションに整理する（2.x の公式ドキュメント）")
    for hook in ("setup", "training_step", "validation_step", "test_step", "predict_step", "configure_optimizers"):
        assert callable(getattr(pl.LightningModule, hook)), hook


class Probe(BoringModel):
    """Records the mode, grad and inference mode each hook runs under, and logs a value per batch."""

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

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        self._note("predict_step")
        return self(batch)


def test_eval_mode_no_grad_in_fit_and_inference_mode_in_test(quiet):
    claim("LightningModule（2/3）：学習・検証・テスト", "`validation_step` と `test_step` の前に、`Trainer` がモデルを eval モードにし、勾配を止める")
    claim("LightningModule（2/3）：学習・検証・テスト", "fit の中の検証は `torch.no_grad()`、`trainer.test` は `torch.inference_mode()` を使う")
    claim("学習したモデルを使う", "そのときは eval モードと勾配の停止を `Trainer` が行う")
    model = Probe()
    t = tiny_fit(val_check_interval=2, limit_test_batches=1, limit_predict_batches=1)
    t.fit(model)
    t.test(model, verbose=False)
    t.predict(model, DataLoader(RandomDataset(32, 4), batch_size=2))
    assert model.seen["validation_step"] == (False, False, False)  # eval, no grad, not inference mode
    assert model.seen["test_step"] == (False, False, True)  # inference mode
    assert model.seen["predict_step"] == (False, False, True)
    assert default("inference_mode") is True


def test_self_log_defaults_per_hook():
    claim("LightningModule（2/3）：学習・検証・テスト", "`training_step` ではステップごとの値が記録される")
    claim("LightningModule（2/3）：学習・検証・テスト", "`validation_step` と `test_step` では、エポック全体の平均（バッチの大きさで重み付け）が記録される")
    from pytorch_lightning.trainer.connectors.logger_connector.fx_validator import _FxValidator

    opts = _FxValidator.functions
    assert (opts["training_step"]["default_on_step"], opts["training_step"]["default_on_epoch"]) == (True, False)
    for hook in ("validation_step", "test_step"):
        assert (opts[hook]["default_on_step"], opts[hook]["default_on_epoch"]) == (False, True)


def test_epoch_mean_is_weighted_by_batch_size(quiet):
    claim("LightningModule（2/3）：学習・検証・テスト", "エポック全体の平均（バッチの大きさで重み付け）")

    class Log(BoringModel):
        def test_step(self, batch, batch_idx):
            self.log("v", float(batch_idx), batch_size=len(batch))  # batch 0 of 3 samples, batch 1 of 1

    t = trainer(accelerator="cpu", devices=1)
    result = t.test(Log(), DataLoader(RandomDataset(32, 4), batch_size=3), verbose=False)
    assert result[0]["v"] == pytest.approx((0 * 3 + 1 * 1) / 4)


def test_hyperparameters_go_into_the_checkpoint_and_come_back(quiet):
    claim("LightningModule（1/3）：モデルの定義", "`save_hyperparameters()` で引数がチェックポイントにも保存され、読み込むときに同じ設定でモデルを作り直せる")
    claim("学習したモデルを使う", "ハイパーパラメーターも復元される")
    t = tiny_fit(enable_checkpointing=True, default_root_dir=quiet)
    t.fit(Probe(lr=0.25))
    path = t.checkpoint_callback.best_model_path
    assert torch.load(path, weights_only=False)["hyper_parameters"]["lr"] == 0.25
    assert Probe.load_from_checkpoint(path).hparams.lr == 0.25


def test_outside_the_trainer_you_switch_to_eval_yourself(quiet):
    claim("学習したモデルを使う", "Trainer の外では、推論の前に自分で eval モードにする")
    claim("学習したモデルを使う", "勾配の計算も自分で止める")
    claim(BENEFITS, "`Trainer` の外で推論するときは、`eval()` と `torch.no_grad()` を自分で呼ぶ")
    t = tiny_fit(enable_checkpointing=True, default_root_dir=quiet)
    t.fit(Probe())
    model = Probe.load_from_checkpoint(t.checkpoint_callback.best_model_path)
    assert model.training and torch.is_grad_enabled()  # load_from_checkpoint leaves both to you
    assert model(torch.zeros(1, 32)).requires_grad


def test_default_checkpoint_folder_and_versions(quiet):
    claim("学習したモデルを使う", "チェックポイントは `lightning_logs/version_N/checkpoints/` に保存される（N は実行のたびに増える）")
    claim(BENEFITS, "`self.log()` でロギング（既定では `lightning_logs/` に保存）")
    paths = []
    for _ in range(2):
        t = pl.Trainer(max_steps=1, limit_val_batches=1, num_sanity_val_steps=0, enable_progress_bar=False,
                       enable_model_summary=False, accelerator="cpu", devices=1)
        t.fit(BoringModel())
        paths.append(Path(t.checkpoint_callback.best_model_path).relative_to(quiet).parent.as_posix())
    assert paths == ["lightning_logs/version_0/checkpoints", "lightning_logs/version_1/checkpoints"]


def test_the_default_checkpoint_keeps_the_last_weights_as_best(quiet):
    claim("学習したモデルを使う", "既定の ModelCheckpoint が最後に保存したファイル（monitor なしなので best＝最新）")
    from pytorch_lightning.callbacks import ModelCheckpoint

    assert ModelCheckpoint().monitor is None
    t = pl.Trainer(max_epochs=2, limit_train_batches=2, limit_val_batches=1, num_sanity_val_steps=0,
                   enable_progress_bar=False, enable_model_summary=False, logger=False, accelerator="cpu", devices=1,
                   default_root_dir=quiet)
    t.fit(BoringModel())
    assert Path(t.checkpoint_callback.best_model_path).name == "epoch=1-step=4.ckpt"  # the last one saved


def test_onecycle_goes_up_then_down_once_per_step(quiet):
    claim("LightningModule（3/3）：オプティマイザー", "\"interval\": \"step\" で、学習率をステップごとに更新する")
    claim("LightningModule（3/3）：オプティマイザー", "`OneCycleLR` は学習率を上げてから下げるスケジューラー")
    rates = []

    class OneCycle(BoringModel):
        def configure_optimizers(self):  # as LitModule's
            optimizer = torch.optim.Adam(self.parameters(), lr=0.1)
            scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=0.1, total_steps=self.trainer.estimated_stepping_batches)
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

        def on_train_batch_start(self, batch, batch_idx):
            rates.append(self.optimizers().param_groups[0]["lr"])

    trainer(max_epochs=1, limit_train_batches=10, limit_val_batches=0, accelerator="cpu", devices=1).fit(OneCycle())
    top = rates.index(max(rates))
    assert len(rates) == 10 and len(set(rates)) == 10  # a new rate at every step
    assert 0 < top < 9 and rates[:top + 1] == sorted(rates[:top + 1]) and rates[top:] == sorted(rates[top:], reverse=True)


def test_estimated_stepping_batches(quiet):
    claim("LightningModule（3/3）：オプティマイザー", "学習全体のステップ数を `Trainer` から取得できる")
    claim("LightningModule（3/3）：オプティマイザー", "1 プロセスが受け持つバッチ数、`accumulate_grad_batches`、`max_epochs`、`max_steps` から計算される")
    got = {}

    class Count(BoringModel):
        def configure_optimizers(self):
            got["steps"] = self.trainer.estimated_stepping_batches
            return super().configure_optimizers()

    # RandomDataset(32, 64) has 32 batches of 2; ask for 10 per epoch, 2 accumulated, 3 epochs: 5 * 3
    t = trainer(max_epochs=3, limit_train_batches=10, accumulate_grad_batches=2, limit_val_batches=0, accelerator="cpu", devices=1)
    t.fit(Count())
    assert got["steps"] == 15
    t = trainer(max_epochs=3, max_steps=4, limit_train_batches=10, limit_val_batches=0, accelerator="cpu", devices=1)
    t.fit(Count())
    assert got["steps"] == 4


def test_without_max_epochs_it_is_1000():
    claim("LightningModule（3/3）：オプティマイザー", "`max_epochs` も `max_steps` も指定しないと、1000 エポックとして計算される")
    from pytorch_lightning.loops.utilities import _parse_loop_limits

    assert default("max_epochs") is None and default("max_steps") == -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _parse_loop_limits(None, -1, None, None, trainer())[1] == 1000  # (min_epochs, max_epochs) fit uses


# --------------------------------------------------------------------------------------------
# (b) Trainer flags, devices and accelerators


def test_auto_accelerator_one_device_and_defaults(monkeypatch):
    claim("Trainer", "devices=1：GPU があっても 1 台だけ使う")
    claim("Trainer", "`accelerator=\"auto\"` が既定値なので、GPU があれば GPU 1 台で、なければ CPU で学習する")
    claim("Trainer", "プログレスバーと結果の表は既定で表示される")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "`accelerator=\"auto\"`（既定値）で GPU があれば GPU へ")
    assert default("accelerator") == "auto" and default("devices") == "auto"
    assert trainer(enable_progress_bar=None).progress_bar_callback is not None  # None means on
    assert inspect.signature(pl.Trainer.test).parameters["verbose"].default is True
    fake_gpus(monkeypatch, 0)
    cpu = trainer(devices=1)
    assert (type(cpu.accelerator).__name__, cpu.strategy.root_device) == ("CPUAccelerator", torch.device("cpu"))
    fake_gpus(monkeypatch, 4)
    gpu = trainer(devices=1)
    assert (type(gpu.strategy).__name__, gpu.strategy.root_device) == ("SingleDeviceStrategy", torch.device("cuda", 0))


@pytest.fixture
def rank_zero_log(monkeypatch, caplog):
    """Lightning's rank-zero logger as a fresh process has it: the deck's Trainer slide adds a
    filter to it, and the deck's blocks may have run earlier in this process."""
    import logging

    log = logging.getLogger(pl.utilities.rank_zero.__name__)
    monkeypatch.setattr(log, "filters", [])
    caplog.set_level(logging.INFO)
    return log


def test_the_default_logger_is_tensorboard_when_it_is_installed_else_csv(quiet, rank_zero_log, caplog, monkeypatch):
    claim("Trainer", "指定しなければ、TensorBoard が入っている環境では TensorBoard のロガーになる。")
    claim("Trainer", "ロガーは `CSVLogger` に決めている。記録は `lightning_logs/version_N/metrics.csv` に残る。")
    import pytorch_lightning.trainer.connectors.logger_connector.logger_connector as lc

    with monkeypatch.context() as m, pytest.raises(ModuleNotFoundError, match="tensorboard") as raised:
        m.setattr(lc, "_TENSORBOARD_AVAILABLE", True)  # as where it is installed: Lightning builds a TensorBoardLogger,
        trainer(logger=True, accelerator="cpu", devices=1)  # which here cannot start (the package is missing)
    assert any(entry.frame.code.name == "TensorBoardLogger" or "tensorboard.py" in str(entry.path)
               for entry in raised.traceback)
    t = trainer(logger=CSVLogger("."), accelerator="cpu", devices=1, max_steps=1, limit_val_batches=0)
    t.fit(BoringModel())
    assert Path(t.logger.log_dir).resolve() == quiet / "lightning_logs" / "version_0"  # the deck's fit reads metrics.csv there

    lc.warning_cache.clear()  # Lightning warns once per process
    with pytest.warns(UserWarning, match="`logger=True` will use `CSVLogger` as the default logger"):
        warnings.simplefilter("always")
        t = pl.Trainer(enable_progress_bar=False, enable_model_summary=False, max_steps=1, limit_val_batches=0,
                       accelerator="cpu", devices=1)  # on several GPUs "auto" would start pytest again (DDP)
    t.fit(BoringModel())
    assert type(t.logger).__name__ == "CSVLogger" and t.global_step == 1


def test_a_val_check_interval_that_does_not_divide_the_epoch_leaves_the_last_steps_out_of_the_checkpoint(quiet):
    claim("Trainer", "430 ステップを割り切れる値にしている。")
    claim("Trainer", "割り切れないと最後の検証がエポックの終わりより前になり、チェックポイントに最後の数ステップが入らない（0.25 なら step=428）。")
    assert [int(430 * 0.25) * k for k in range(1, 5)][-1] == 428 and int(430 * 0.2) * 5 == 430
    for batches, last in [(14, 12), (12, 12)]:  # 0.25 of 14 batches: checks at 3, 6, 9, 12; of 12: the last at its end
        t = trainer(max_epochs=1, limit_train_batches=batches, limit_val_batches=1, val_check_interval=0.25,
                    num_sanity_val_steps=0, enable_checkpointing=True, default_root_dir=str(quiet / str(batches)),
                    accelerator="cpu", devices=1)
        t.fit(BoringModel())
        assert t.global_step == batches and Path(t.checkpoint_callback.best_model_path).name == f"epoch=0-step={last}.ckpt"


@reads_deck
def test_the_trainer_slide_drops_only_lightnings_tips(quiet, rank_zero_log, caplog):
    claim(QUIET, "Lightning 2.6 は、litlogger・litmodels を勧める「Tip」を表示する。litlogger の Tip は `Trainer` を作るたびに出る。")
    claim(QUIET, "ここでは Tip を出すロガーに、Tip だけを落とすフィルターを付けた。")
    claim(QUIET, "log.addFilter(lambda record: \"Tip:\" not in record.getMessage())  # Tip の行だけを落とす")
    claim(QUIET, "`GPU available` の行やモデルの要約など、ほかの表示はそのまま残る")
    claim("Trainer", "「GPU available」「TPU available」の行は、使えるデバイスと、実際に使うデバイスの表示。")
    block = next(b for b in model().blocks if b.name == "quiet_tips.py")
    assert model().slide_at(block.line).title == QUIET and model().blocks.index(block) < model().blocks.index(
        next(b for b in model().blocks if b.name == "fit.py")), "the filter comes before the first Trainer"
    for _ in range(2):
        trainer()
    tips = [r.getMessage() for r in caplog.records if "💡 Tip" in r.getMessage()]
    assert len([m for m in tips if "litlogger" in m]) == 2, tips  # once per Trainer
    assert all(r.name == rank_zero_log.name for r in caplog.records if "💡 Tip" in r.getMessage())
    caplog.clear()
    with warnings.catch_warnings():
        exec(block.code, {"__name__": "__main__"})  # the deck's block, as it runs there
    t = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, max_steps=1,
                   limit_val_batches=0, callbacks=[pl.callbacks.ModelCheckpoint(dirpath=quiet)])
    t.fit(BoringModel())
    shown = caplog.text
    assert "Tip" not in shown and "litlogger" not in shown and "litmodels" not in shown
    assert "GPU available: False, used: False" in shown and "TPU available" in shown and "`Trainer.fit` stopped" in shown


@reads_deck
def test_the_trainer_slide_silences_the_leafspec_futurewarning_only():
    claim(QUIET, "`LeafSpec` の `FutureWarning` は、Lightning 2.6.6 が torch 2.14 で非推奨になった `LeafSpec()` を使っているために出る。")
    claim(QUIET, "Lightning AI のサービスの案内（Tip）と、Lightning 自身のコードに向けた警告を止める：どちらも読者が対処するものではない")
    from pytorch_lightning.utilities import _pytree

    block = next(b for b in model().blocks if b.name == "quiet_tips.py")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _pytree._tree_flatten(1.0)  # Lightning's own code, called by every fit
    assert [(w.category, Path(w.filename).name) for w in caught] == [(FutureWarning, "_pytree.py")]
    assert "LeafSpec" in str(caught[0].message) and "pytorch_lightning" in caught[0].filename
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(block.code, {"__name__": "__main__"})
        _pytree._tree_flatten(1.0)
        warnings.warn("another FutureWarning", FutureWarning)
    assert [str(w.message) for w in caught] == ["another FutureWarning"]


def test_auto_takes_every_gpu_and_relaunches_the_script_as_ddp(monkeypatch):
    claim("GPU の選び方：共有サーバーでは台数を指定する", "見えている GPU をすべて（2 台以上なら DDP：残りの GPU の数だけスクリプトを起動）")
    claim("GPU の選び方：共有サーバーでは台数を指定する", "研究室の共有サーバーで `Trainer()` のまま動かすと、空いていない GPU まで使ってしまう")
    claim("GPU の選び方：共有サーバーでは台数を指定する", "`devices=\"auto\"` は、アクセラレーターが見つけたデバイスの数になる")
    claim("GPU の選び方：共有サーバーでは台数を指定する", "GPU なら `torch` が数えた数で、`CUDA_VISIBLE_DEVICES` で隠した GPU は数えない")
    fake_gpus(monkeypatch, 4)
    t = trainer()
    assert t.num_devices == 4 and [d.index for d in t.strategy.parallel_devices] == [0, 1, 2, 3]
    assert (type(t.strategy).__name__, launcher(t)) == ("DDPStrategy", "_SubprocessScriptLauncher")
    from pytorch_lightning.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

    # the original process is rank 0; the script is started again for local ranks 1 .. n-1
    assert "for local_rank in range(1, self.num_processes):" in inspect.getsource(_SubprocessScriptLauncher)
    import lightning_fabric.accelerators.cuda as fabric_cuda

    counted = inspect.getsource(fabric_cuda).split("def num_cuda_devices", 1)[1].split("def ", 1)[0]
    assert "return torch.cuda.device_count()" in counted  # the GPUs CUDA shows this process


def test_devices_one_and_a_chosen_gpu(monkeypatch):
    claim("GPU の選び方：共有サーバーでは台数を指定する", "GPU 1 台（いつも 0 番、GPU がなければ CPU）")
    claim("GPU の選び方：共有サーバーでは台数を指定する", "`devices=1` はいつも 0 番の GPU を使う")
    claim("GPU の選び方：共有サーバーでは台数を指定する", "2 番の GPU だけを使う")
    fake_gpus(monkeypatch, 0)
    assert trainer(devices=1).strategy.root_device == torch.device("cpu")
    fake_gpus(monkeypatch, 4)
    assert trainer(devices=1).strategy.root_device == torch.device("cuda", 0)
    assert trainer(devices=[2]).strategy.root_device == torch.device("cuda", 2)


def test_in_jupyter_auto_uses_one_gpu(monkeypatch):
    claim("GPU の選び方：共有サーバーでは台数を指定する", "Jupyter では `devices=\"auto\"` でも GPU 1 台だけを使う")
    fake_gpus(monkeypatch, 4)
    interactive(monkeypatch)
    t = trainer()
    assert t.num_devices == 1 and type(t.strategy).__name__ == "SingleDeviceStrategy"


def test_the_model_and_the_batch_are_on_the_root_device_and_the_model_goes_back_to_the_cpu(monkeypatch, quiet):
    claim("特徴 4：`.cuda()` や `.to()` は不要", "`trainer.strategy.root_device` は、`Trainer` が選んだデバイス。")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "GPU がなければ cpu、GPU があれば cuda:0、Apple Silicon では mps:0 になる")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "学習中はモデルもバッチもそのデバイスの上にあるので、どのマシンでも出力は変わらない。")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "model = LitModule()  # 作った直後は CPU の上")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "作ったばかりのモデルは CPU の上にある。`fit` が終わると、`Trainer` がモデルを CPU に戻す。")
    from pytorch_lightning.strategies import SingleDeviceStrategy, Strategy

    fake_gpus(monkeypatch, 0)
    assert trainer(devices=1).strategy.root_device == torch.device("cpu")
    fake_gpus(monkeypatch, 2)
    assert trainer(devices=1).strategy.root_device == torch.device("cuda", 0)
    fake_mps(monkeypatch)
    assert trainer(devices=1).strategy.root_device == torch.device("mps", 0)
    # Where the model and the batch go (no GPU here to move them to): the strategy's root device
    assert "self.model.to(self.root_device)" in inspect.getsource(SingleDeviceStrategy.model_to_device)
    assert "device = device or self.root_device" in inspect.getsource(Strategy.batch_to_device)
    assert "self.lightning_module.cpu()" in inspect.getsource(Strategy.teardown)  # after fit, on any device
    monkeypatch.undo()
    seen = []

    class Where(BoringModel):
        def on_train_batch_start(self, batch, batch_idx):
            seen.append((self.device, batch.device, self.trainer.strategy.root_device))

    model = Where()
    assert model.device == torch.device("cpu")
    tiny_fit(max_steps=1, limit_val_batches=0).fit(model)
    assert seen[0][0] == seen[0][1] == seen[0][2] and model.device == torch.device("cpu")


@reads_deck
def test_the_learning_curve_was_recorded_without_a_gpu():
    claim("学習曲線（2/2）：1 エポックの記録", "図は、GPU のないマシンで学習したときの記録。")
    import json

    from tools import figures

    record = json.loads((figures.folder(model()) / "learning_curve.json").read_text(encoding="utf-8"))
    assert record["device"] == "cpu" and record["block"] == "fit.py"


def test_batch_is_moved_before_on_train_batch_start_and_custom_batches_are_not(quiet):
    claim("特徴 4：`.cuda()` や `.to()` は不要", "バッチも自動で転送される")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "バッチは `on_train_batch_start` より前に転送されている")
    claim("特徴 4：`.cuda()` や `.to()` は不要", "自作のクラスをバッチにするときは `transfer_batch_to_device` を書く")
    order = []

    class Order(BoringModel):
        def transfer_batch_to_device(self, batch, device, dataloader_idx):
            order.append("transfer")
            return super().transfer_batch_to_device(batch, device, dataloader_idx)

        def on_train_batch_start(self, batch, batch_idx):
            order.append("on_train_batch_start")

    tiny_fit(max_steps=1, limit_val_batches=0).fit(Order())
    assert order == ["transfer", "on_train_batch_start"]
    from lightning_fabric.utilities.apply_func import move_data_to_device

    class Custom:
        def __init__(self):
            self.x = torch.zeros(1)

    assert move_data_to_device({"x": torch.zeros(1)}, "meta")["x"].device.type == "meta"  # collections move
    assert move_data_to_device(Custom(), "meta").x.device.type == "cpu"  # your own class does not


def test_torch_compile_is_accepted():
    claim("特徴 6：`LightningModule` は `torch.nn.Module`", "`state_dict()` での保存・読み込みや `torch.compile` もそのまま使える")
    from pytorch_lightning.utilities.compile import _maybe_unwrap_optimized

    model = BoringModel()
    assert _maybe_unwrap_optimized(torch.compile(model)) is model  # the Trainer takes the compiled module
    copy = BoringModel()
    copy.load_state_dict(model.state_dict())
    assert torch.equal(copy.layer.weight, model.layer.weight)


def test_fast_dev_run(quiet):
    claim("デモ用の小さな Trainer", "組み込みの `fast_dev_run=2` も似た動き：学習・検証・テストを 2 バッチずつ実行し、ロガーとチェックポイントを止める")
    claim("デモ用の小さな Trainer", "`fast_dev_run` は渡したロガーも無効にする")
    claim(REHEARSAL, "`--trainer.fast_dev_run=5` は、学習と検証を 5 バッチずつ実行するだけの Lightning のフラグ")
    from pytorch_lightning.loggers import CSVLogger
    from pytorch_lightning.loggers.logger import DummyLogger

    t = pl.Trainer(fast_dev_run=2, logger=CSVLogger(quiet), enable_progress_bar=False, enable_model_summary=False,
                   accelerator="cpu", devices=1)
    assert (t.limit_train_batches, t.limit_val_batches, t.limit_test_batches) == (2, 2, 2)
    assert (t.num_sanity_val_steps, t.max_epochs, t.max_steps) == (0, 1, 2)
    assert [type(lg) for lg in t.loggers] == [DummyLogger]
    t.fit(BoringModel())
    assert t.global_step == 2 and not list(quiet.rglob("*.ckpt")) and not list(quiet.rglob("metrics.csv"))
    five = trainer(fast_dev_run=5)
    assert (five.limit_train_batches, five.limit_val_batches, five.max_steps) == (5, 5, 5)


# --------------------------------------------------------------------------------------------
# (b) built-in callbacks


def test_test_uses_last_weights_unless_ckpt_path_best(quiet):
    claim("`ModelCheckpoint` と `EarlyStopping`", "`trainer.test(model, data)` は最後の重みでテストする")
    claim("`ModelCheckpoint` と `EarlyStopping`", "最良の重みでテストしたいときは `ckpt_path=\"best\"` を渡す")
    claim("`ModelCheckpoint` と `EarlyStopping`", "`trainer.ckpt_path` は、`trainer.test` が読み込んだチェックポイントのパス")
    from pytorch_lightning.callbacks import ModelCheckpoint

    class Scored(BoringModel):
        def validation_step(self, batch, batch_idx):
            self.log("score", float(self.global_step == 2))  # best at step 2 of 4

        def test_step(self, batch, batch_idx):
            self.log("bias", self.layer.bias.sum())

    best = ModelCheckpoint(monitor="score", mode="max", dirpath=quiet)
    model = Scored()
    t = tiny_fit(max_steps=4, val_check_interval=2, limit_test_batches=1, enable_checkpointing=True, callbacks=[best])
    t.fit(model)
    saved = torch.load(best.best_model_path, weights_only=False)["state_dict"]["layer.bias"].sum().item()
    last = model.layer.bias.sum().item()
    assert best.best_model_path.endswith("step=2.ckpt") and saved != pytest.approx(last)
    assert t.test(model, verbose=False)[0]["bias"] == pytest.approx(last)
    assert t.test(model, ckpt_path="best", verbose=False)[0]["bias"] == pytest.approx(saved)
    assert t.ckpt_path == best.best_model_path


def test_early_stopping_checks_after_each_validation(quiet):
    claim("`ModelCheckpoint` と `EarlyStopping`", "`EarlyStopping` は、`val_acc` が 0.01 を超えてよくならない検証が 2 回続いたら学習を止める")
    from pytorch_lightning.callbacks import EarlyStopping

    class Flat(BoringModel):
        def validation_step(self, batch, batch_idx):
            self.log("val_acc", 0.5)

    stop = EarlyStopping(monitor="val_acc", mode="max", patience=2, min_delta=0.01)
    t = tiny_fit(max_steps=100, val_check_interval=2, callbacks=[stop])
    t.fit(Flat())
    assert t.global_step == 6  # validation at 2 sets the best; 4 and 6 do not improve it: stop

    class ByExactlyMinDelta(BoringModel):  # 0.25 a check: exact in binary, so the change equals min_delta
        checks = 0

        def on_validation_epoch_end(self):
            self.checks += 1
            self.log("val_acc", 0.25 * self.checks)

    stop = EarlyStopping(monitor="val_acc", mode="max", patience=1, min_delta=0.25)
    t = tiny_fit(max_steps=100, val_check_interval=2, callbacks=[stop])
    t.fit(ByExactlyMinDelta())
    assert t.global_step == 4  # 0.25 then 0.5: a change of exactly min_delta is no improvement


# --------------------------------------------------------------------------------------------
# (b) processes: num_workers, spawn and the __main__ guard


def test_macos_and_windows_start_workers_with_spawn_and_linux_from_3_14_with_forkserver():
    claim("`num_workers` を増やすときのガード", "macOS・Windows・Python 3.14 以降の Linux：ワーカーがスクリプトを読み込み直す")
    claim("`num_workers` を増やすときのガード", "macOS と Windows は spawn、Python 3.14 以降の Linux は forkserver が既定")
    # Python 3.11 here: what 3.14 does on Linux, as torch's DataLoader states it
    source = inspect.getsource(torch.utils.data.dataloader)
    assert "Python 3.14+ changed the multiprocessing start method in non-Mac POSIX platforms" in source
    assert "to 'forkserver'" in source
    code = "import sys; sys.platform = {!r}; import multiprocessing.context as c; print(c._default_context.get_start_method())"
    got = {p: subprocess.run([sys.executable, "-c", code.format(p)], capture_output=True, text=True).stdout.strip()
           for p in ("darwin", "linux")}
    assert got == {"darwin": "spawn", "linux": "fork"}
    ctx = multiprocessing.context._default_context
    original = sys.platform
    try:
        sys.platform = "win32"
        assert ctx.get_all_start_methods() == ["spawn"]
    finally:
        sys.platform = original


def test_without_the_guard_spawn_and_forkserver_fail_and_fork_does_not(tmp_path):
    claim("`num_workers` を増やすときのガード",
          "ガードがないと spawn・forkserver では `RuntimeError` で止まる（Python 3.13 までの Linux は fork なので起きない）")
    claim("`num_workers` を増やすときのガード", "`num_workers` が 0 のままなら、このガードはなくても動く")
    claim(TRAIN_PY, "この 2 つはメインのスクリプトを読み込み直すので、ガードがないとそこでも学習が始まる")
    # DataLoader workers are processes of the default multiprocessing context (torch.multiprocessing
    # is multiprocessing), so a plain Process without the guard shows what a worker meets, without torch.
    assert torch.multiprocessing.get_context is multiprocessing.get_context
    assert DataLoader(range(4), num_workers=0)._get_iterator().__class__.__name__ == "_SingleProcessDataLoaderIter"
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing, sys
        worker = multiprocessing.get_context(sys.argv[1]).Process(target=print, args=("worker",))
        worker.start()
        worker.join()
        print("exit", worker.exitcode)
    """))
    run = lambda method: subprocess.run([sys.executable, str(script), method], capture_output=True, text=True, timeout=60)  # noqa: E731
    for method in ("spawn", "forkserver"):  # both import the main script again in the new process
        started = run(method)
        assert "RuntimeError" in started.stderr and "bootstrapping phase" in started.stderr, method
        assert "exit 1" in started.stdout, method  # the worker died
    assert run("fork").stdout.split() == ["worker", "exit", "0"]


def test_few_workers_warning(quiet, monkeypatch):
    claim("`num_workers` を増やすときのガード", "CPU のコアに余裕があるのに `num_workers` が少ないと、Lightning が `PossibleUserWarning` で増やすよう勧めてくる")
    import pytorch_lightning.trainer.connectors.data_connector as dc
    from pytorch_lightning.utilities.warnings import PossibleUserWarning

    monkeypatch.setattr(dc, "suggested_max_num_workers", lambda devices: 7)  # as on 8 cores (2 here: no hint)
    t = tiny_fit(max_steps=1, limit_val_batches=0)
    with pytest.warns(PossibleUserWarning, match="does not have many workers"):
        warnings.simplefilter("always")
        t.fit(BoringModel())


# --------------------------------------------------------------------------------------------
# (b) distributed: strategies, clusters


def test_auto_strategy_is_ddp_in_a_script_and_fork_in_a_notebook(monkeypatch):
    claim("付録：分散学習の `strategy` の選び方", "推奨、`\"auto\"`（既定値）でも選ばれる：残りのプロセスの数だけスクリプトを起動する")
    claim("付録：分散学習の `strategy` の選び方", "`strategy=\"auto\"` は、デバイスが 2 つ以上ならスクリプトでは `ddp` を、ノートブックでは `ddp_fork` を選ぶ")
    script = trainer(accelerator="cpu", devices=2)
    assert (type(script.strategy).__name__, launcher(script)) == ("DDPStrategy", "_SubprocessScriptLauncher")
    interactive(monkeypatch)
    notebook = trainer(accelerator="cpu", devices=2)
    assert (launcher(notebook), notebook.strategy.launcher._start_method) == ("_MultiProcessingLauncher", "fork")


def test_ddp_notebook_is_ddp_fork_and_works_in_a_notebook(monkeypatch):
    claim("付録：分散学習の `strategy` の選び方", "`\"ddp_notebook\"`（= `\"ddp_fork\"`）")
    claim("付録：特徴 5 `DistributedSampler` は自動（2/2）", "ノートブックでもそのまま動くよう、`strategy` は `ddp_fork` にしている")
    from pytorch_lightning.strategies import StrategyRegistry

    assert StrategyRegistry["ddp_notebook"]["init_params"]["start_method"] == "fork"
    assert StrategyRegistry["ddp_fork"]["init_params"]["start_method"] == "fork"
    interactive(monkeypatch)
    assert trainer(accelerator="cpu", devices=2, strategy="ddp_fork").strategy.launcher.is_interactive_compatible


def test_fork_exists_on_linux_and_macos_not_on_windows(monkeypatch):
    claim("付録：分散学習の `strategy` の選び方", "fork を使うので Linux・macOS 向け（Windows では使えない）")
    ctx = multiprocessing.context._default_context
    for platform, has_fork in (("linux", True), ("darwin", True), ("win32", False)):
        monkeypatch.setattr(sys, "platform", platform)
        assert ("fork" in ctx.get_all_start_methods()) is has_fork, platform
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(torch.multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # as on Windows
    with pytest.raises(ValueError, match="process forking is not supported on this platform"):
        trainer(accelerator="cpu", devices=2, strategy="ddp_fork")


def test_ddp_spawn_is_refused_in_a_notebook(monkeypatch):
    claim("付録：分散学習の `strategy` の選び方", "ノートブックでは使えない")
    claim("付録：分散学習の `strategy` の選び方", "ノートブックでは Lightning がエラーにする")
    from lightning_fabric.utilities.exceptions import MisconfigurationException

    interactive(monkeypatch)
    with pytest.raises(MisconfigurationException, match="not compatible with an interactive environment"):
        trainer(accelerator="cpu", devices=2, strategy="ddp_spawn")


def test_macos_auto_is_mps_with_one_device(monkeypatch):
    claim("付録：分散学習の `strategy` の選び方", "macOS の CPU で DDP を試すなら `accelerator=\"cpu\"` も指定する（`\"auto\"` だと MPS になり、MPS は 1 台だけ）")
    fake_mps(monkeypatch)
    with pytest.raises(Exception, match="only has: \\[0\\]"):
        trainer(devices=2)
    assert type(trainer(accelerator="cpu", devices=2).strategy).__name__ == "DDPStrategy"


def test_cpu_ddp_uses_gloo_and_cuda_defaults_to_nccl():
    claim("付録：特徴 5 `DistributedSampler` は自動（2/2）", "CPU の 2 プロセスで分散学習（gloo）")
    claim("付録：分散学習の `strategy` の選び方", "GPU の DDP では `DDPStrategy(process_group_backend=\"gloo\")` を渡す")
    from lightning_fabric.utilities.distributed import _get_default_process_group_backend_for_device

    assert trainer(accelerator="cpu", devices=2).strategy._get_process_group_backend() == "gloo"
    assert _get_default_process_group_backend_for_device(torch.device("cuda")) == "nccl"  # so Windows needs gloo given


def test_torchrun_is_detected_and_needs_the_same_command_and_rdzv_id_on_every_node(monkeypatch):
    claim(REHEARSAL, "クラスターでは、この torchrun を各ノードで 1 回ずつ実行する")
    claim(CLUSTER, "全ノードのコマンドは同じ")
    claim(CLUSTER, "`--rdzv-id` はジョブごとに変える")
    claim(CLUSTER, "c10d のランデブーでは `--node-rank` は使われず、ノードの番号はホスト名の順に決まる")
    claim(CLUSTER, "そのため `HEAD` のノードが 0 番とは限らない")
    claim(CLUSTER, "ランデブー役のノード（どれか 1 台）のホスト名")
    claim(CLUSTER, "`--nnodes` と `--trainer.num_nodes` はどちらも 2（ずれると Lightning がエラー）")
    claim("付録：分散学習の `strategy` の選び方", "`torchrun` か SLURM の `srun` で起動する")
    import torch.distributed.run as run
    from lightning_fabric.plugins.environments import TorchElasticEnvironment

    doc = re.sub(r"\s+", " ", run.__doc__)
    assert "Start ``torchrun`` with the same arguments on all the nodes" in doc
    assert "node_rank is only used for static rdzv_backend. It will be ignored" in inspect.getsource(run)
    assert "``--rdzv-id``: A unique job id (shared by all nodes participating in the job)" in doc
    for key, value in dict(TORCHELASTIC_RUN_ID="mnist", RANK="0", LOCAL_RANK="0", GROUP_RANK="0", WORLD_SIZE="8",
                           LOCAL_WORLD_SIZE="4", MASTER_ADDR="head", MASTER_PORT="29500").items():
        monkeypatch.setenv(key, value)
    assert TorchElasticEnvironment.detect()
    with pytest.raises(ValueError, match="does not match the world size"):
        TorchElasticEnvironment().validate_settings(num_devices=4, num_nodes=1)
    from torch.distributed.elastic.rendezvous import dynamic_rendezvous as rendezvous

    assert "for rank, node in enumerate(sorted(state.participants))" in inspect.getsource(rendezvous)
    assert [f.name for f in __import__("dataclasses").fields(rendezvous._NodeDesc)][0] == "addr"  # host name first


class PerRank(BoringModel):
    """Logs its own rank in validation: rank 0 logs 0.0, rank 1 logs 1.0."""

    def __init__(self, sync_dist: bool):
        super().__init__()
        self.sync_dist = sync_dist

    def validation_step(self, batch, batch_idx):
        self.log("rank", float(self.global_rank), sync_dist=self.sync_dist)


def test_metrics_are_per_process_unless_sync_dist(quiet):
    claim(SLURM_GPU, "検証・テストの `self.log` には `sync_dist=True`：ないと記録はランク 0 の担当分だけの値")
    claim(SLURM_GPU, "sync_dist=True は、エポックの終わりに全プロセスの値を平均してから記録する")
    claim("LightningModule（2/3）：学習・検証・テスト", "# sync_dist=True：複数プロセスのとき全体の値にする（付録）")
    assert inspect.signature(pl.LightningModule.log).parameters["sync_dist"].default is False
    logged = {}
    for sync_dist in (False, True):  # two CPU processes, as the deck's 特徴 5 run
        t = tiny_fit(devices=2, strategy="ddp_fork", max_steps=1, val_check_interval=1, limit_val_batches=1)
        t.fit(PerRank(sync_dist))
        logged[sync_dist] = t.callback_metrics["rank"].item()
    assert logged == {False: 0.0, True: 0.5}


def test_sync_dist_does_nothing_in_one_process(quiet):
    claim("LightningModule（2/3）：学習・検証・テスト", "`sync_dist=True` は、1 プロセスでは何もしない")
    claim(SLURM_GPU, "1 プロセスのときは何もしないので、常に付けておいてよい")
    t = tiny_fit(max_steps=1, val_check_interval=1, limit_val_batches=1)
    t.fit(PerRank(sync_dist=True))
    assert t.callback_metrics["rank"].item() == 0.0
    assert t.strategy.reduce(torch.tensor(3.0)) == 3.0  # one device: the value as it is


def test_each_process_loads_its_own_full_batch():
    claim(SLURM_GPU, "実効バッチサイズは 128 × 8 プロセス = 1,024")
    t = trainer(accelerator="cpu", devices=2, strategy="ddp")
    from pytorch_lightning.trainer.states import RunningStage

    loader = t._data_connector._prepare_dataloader(
        DataLoader(range(1000), batch_size=128, shuffle=True), shuffle=True, mode=RunningStage.TRAINING)
    assert loader.batch_size == 128 and isinstance(loader.sampler, DistributedSampler)
    assert loader.sampler.num_replicas == t.world_size == 2  # each of world_size processes: 128 per step


def test_log_every_n_steps_and_default_logger(monkeypatch, quiet):
    claim("付録：`self.log()` の値は本当に記録される", "`log_every_n_steps`（既定は 50）")
    claim("付録：`self.log()` の値は本当に記録される", "TensorBoard を入れていれば、既定のロガーは TensorBoard になる")
    claim("付録：`self.log()` の値は本当に記録される", "tensorboard --logdir lightning_logs")
    import pytorch_lightning.trainer.connectors.logger_connector.logger_connector as lc

    assert trainer().log_every_n_steps == 50
    assert type(pl.Trainer(enable_progress_bar=False).logger).__name__ == "CSVLogger"  # no TensorBoard here
    made = []

    class TensorBoardLogger(pl.loggers.CSVLogger):  # stands in for the real one, which needs tensorboard
        def __init__(self, save_dir, **kwargs):
            made.append(save_dir)
            super().__init__(save_dir, **kwargs)

    monkeypatch.setattr(lc, "_TENSORBOARD_AVAILABLE", True)
    monkeypatch.setattr(lc, "TensorBoardLogger", TensorBoardLogger)
    logger = pl.Trainer(enable_progress_bar=False).logger
    assert type(logger) is TensorBoardLogger and made == [str(quiet)]
    assert Path(logger.root_dir) == quiet / "lightning_logs"  # where `tensorboard --logdir lightning_logs` looks


def test_lightning_cli_makes_flags_from_the_signatures(quiet, capsys):
    claim(TRAIN_PY, "`LightningCLI`：`Trainer`・`LitModule`・`LitDataModule` の引数が、そのままフラグになる")
    claim(TRAIN_PY, "`LightningCLI` は、各クラスの `__init__` の引数と型ヒントからフラグを作る")
    claim(TRAIN_PY, "`fit`・`validate`・`test`・`predict` がサブコマンドになる")
    claim(TRAIN_PY, "一覧は `python train.py fit --help`、今の設定を YAML で見るなら `--print_config`")
    from pytorch_lightning.cli import LightningCLI

    class Model(BoringModel):
        def __init__(self, lr: float = 1e-2):
            super().__init__()
            self.lr = lr

    class Data(pl.LightningDataModule):
        def __init__(self, batch_size: int = 128):
            super().__init__()
            self.batch_size = batch_size

    assert list(LightningCLI.subcommands()) == ["fit", "validate", "test", "predict"]
    cli = LightningCLI(Model, Data, run=False, trainer_defaults={"logger": False, "enable_progress_bar": False},
                       args=["--trainer.max_epochs=10", "--model.lr=0.02", "--data.batch_size=256"])
    assert (cli.trainer.max_epochs, cli.model.lr, cli.datamodule.batch_size) == (10, 0.02, 256)
    with pytest.raises(SystemExit):
        LightningCLI(Model, Data, args=["fit", "--help"])
    shown = capsys.readouterr().out
    assert "--model.lr LR" in shown and "--data.batch_size BATCH_SIZE" in shown and "--trainer.max_epochs" in shown
    with pytest.raises(SystemExit):
        LightningCLI(Model, Data, args=["fit", "--model.lr=0.02", "--print_config"])
    assert "lr: 0.02" in capsys.readouterr().out  # YAML


# ============================================================================================
# SLURM: the slides 付録：SLURM（1/3）…（3/3）. Their blocks run on a real two-node Slurm cluster
# (tools/rehearsal/slurm_cluster.sh), and their checked outputs are the (a) claims below. Their speaker
# notes carry no links, so what only the documentation says is kept here with its address, and what
# the cluster itself shows is tested in tests/test_slurm_cluster.py: both are the (d) row of the table.
#
# The exit race (the feasibility study, ../shared/studies/slurm-two-nodes.md, section 5): under SLURM
# rank 0's own process hosts the TCPStore, and a small Lightning script that leaves the gloo process
# group alive aborted at interpreter exit in 3 of 10 jobs there ("terminate called without an active
# exception", the job FAILED). Measured for this deck on this machine (2026-12-05; Slurm 22.05.8,
# torch 2.14.1, Lightning 2.6.6, gloo, a loaded 2-core machine): the deck's train.py as the slide runs
# it ended COMPLETED in 25 of 25 jobs in a row on one cluster, and the slide's block passed 20 of 20
# fresh runs in a row (each on a new cluster; 5 of 5 before that); the study's small script (BoringModel,
# fast_dev_run=2, no destroy_process_group) ended COMPLETED in 20 of 20 jobs in a row. So the deck
# teaches no extra end of train.py: it would be a line for a race not seen here. On a GPU cluster
# (NCCL) Lightning itself destroys the process group at exit (test_lightning_ends_the_nccl_process_group_at_exit),
# and should a CPU job ever end FAILED, the block's test fails at once with the job's output and the
# daemons' logs (slurm_cluster.sh), which would show the abort.

SLURM = "付録：SLURM（1/3）：`sbatch` で 2 ノード"
SLURM_GPU = "付録：SLURM（2/3）：GPU クラスターでは"
SLURM_CHECKS = "付録：SLURM（3/3）：割り当て・出力・エラー"

SLURM_ON_SLIDE = [  # (a): the slide's block ran it on the cluster, and its checked output shows it
    (SLURM, "`srun` が各ノードで `train.py` を起動する（`torchrun` は不要）",
     "global_rank=1 node_rank=1 world_size=2"),
    (SLURM, "2 ノードで半分ずつ受け持った", "DistributedSampler: 27,500 / 55,000 枚"),
    (SLURM, "どのプロセスも同じコマンドを実行する",  # one srun line: both ranks ran train.py with its flags
     "global_rank=0 node_rank=0 world_size=2  DistributedSampler: 27,500 / 55,000 枚\nglobal_rank=1 node_rank=1"),
    (SLURM_CHECKS, "割り当てられたノードの一覧", "node0\nnode1\n"),
    (SLURM_CHECKS, "salloc はノードを確保して、コマンドを 1 回実行する", "node0\nnode1\ntask-"),
    (SLURM_CHECKS, "scontrol show hostnames は、ジョブのノードを 1 行に 1 つずつ表示する", "node0\nnode1\n"),
    (SLURM_CHECKS, "タスクごとのファイルへ", "task-2-0.out:node0\ntask-2-1.out:node1\n"),
    (SLURM_CHECKS, "プロセスごとの出力が別々のファイルになる", "task-2-0.out:node0\ntask-2-1.out:node1\n"),
    (SLURM_CHECKS, "Lightning は学習を始める前にエラーで止まる", "HINT: Set\n`devices=1`."),
]

SLURM_EVIDENCE = [  # (d): Slurm's or Lightning's documentation, or a test on the real cluster
    (SLURM, "sbatch は、このスクリプトをジョブとしてキューに入れる",
     "https://slurm.schedmd.com/sbatch.html"),  # "sbatch - Submit a batch script to Slurm."
    (SLURM, "ノードが割り当てられると、スクリプトが先頭のノードで動き",  # "runs a single copy of the batch
     "https://slurm.schedmd.com/sbatch.html"),  # script on the first node in the set of allocated nodes"
    # sbatch.html --time: "Set a limit on the total run time of the job allocation. [...] The default time
    # limit is the partition's default time limit."
    (SLURM, "実行時間の上限は time で指定でき、書かないとパーティションの既定値になる", "https://slurm.schedmd.com/sbatch.html#OPT_time"),
    (SLURM, "投入し、ジョブが終わるまで待つ", "https://slurm.schedmd.com/sbatch.html#OPT_wait"),
    (SLURM, "準備：SLURM のノード 2 台（node0 にログインした状態）",
     "tests/test_slurm_cluster.py::test_two_nodes_with_their_own_names_and_the_controller_on_node0"),
    (SLURM, "準備の行は予行演習用の道具で、PC の中に本物の SLURM のノードを 2 台起動する",
     "tests/test_slurm_cluster.py::test_two_nodes_with_their_own_names_and_the_controller_on_node0"),
    # gres.html, Running Jobs: "Jobs will not be allocated any generic resources unless specifically
    # requested at job submit time using the options: --gres, --gpus, ..."
    (SLURM_GPU, "`#SBATCH --gres=gpu:4`：書かないと GPU が割り当てられない", "https://slurm.schedmd.com/gres.html#Running_Jobs"),
    (SLURM_GPU, "gres は、ジョブに GPU を割り当てる指定で、gpus-per-node でもよい",
     "https://slurm.schedmd.com/sbatch.html#OPT_gpus-per-node"),
    (SLURM_GPU, "学習率の調整が必要になることもある", "https://lightning.ai/docs/pytorch/stable/accelerators/gpu_faq.html"),
    # srun.html, filename pattern: "%j jobid of the running job", "%t task identifier (rank) relative to
    # current job. This will create a separate IO file per task."
    (SLURM_CHECKS, "%j はジョブの番号、%t はタスクの番号", "https://slurm.schedmd.com/srun.html#OPT_filename-pattern"),
    (SLURM_CHECKS, "ただし 1 ノードに 1 プロセスのまま num_nodes を書き忘れると",
     "tests/test_slurm_cluster.py::test_the_decks_job_without_num_nodes_trains_once_per_node"),
    (SLURM_CHECKS, "num_nodes が nodes と違うときも、Lightning はエラーにする",
     "tests/test_slurm_cluster.py::test_the_decks_job_with_a_setting_lightning_refuses_fails_readably"),
    (SLURM_CHECKS, "バッチスクリプトの中でもそのまま使える",
     "tests/test_slurm_cluster.py::test_two_nodes_with_their_own_names_and_the_controller_on_node0"),
]


@reads_deck
@pytest.mark.parametrize(("heading", "quote", "shown"), SLURM_ON_SLIDE, ids=[q for _, q, _ in SLURM_ON_SLIDE])
def test_slurm_claims_shown_by_the_clusters_run(heading, quote, shown):
    on_slide(heading, quote)
    assert shown in expected_output(heading)


@reads_deck
@pytest.mark.parametrize(("heading", "quote", "evidence"), SLURM_EVIDENCE, ids=[q for _, q, _ in SLURM_EVIDENCE])
def test_slurm_claims_backed_by_the_docs_or_the_cluster(heading, quote, evidence):
    on_slide(heading, quote)
    if evidence.startswith("tests/"):
        path, test = evidence.split("::")
        assert f"\ndef {test}(" in (ROOT / path).read_text(encoding="utf-8"), f"no {evidence}"
    else:
        assert re.fullmatch(r"https://(slurm\.schedmd\.com|lightning\.ai)/\S+", evidence)
        notes = "".join(re.findall(r"<!--(.*?)-->", slide(heading), re.S))
        assert "http" not in notes, f"the notes of「{heading}」carry no links: the ledger keeps them"


@reads_deck
def test_the_slurm_run_shows_what_the_torchrun_rehearsal_shows():
    claim(SLURM, "train.py と RankReport は予行演習と同じで、出力も同じになる")
    ranks = lambda text: [line for line in text.splitlines() if line.startswith("global_rank=")]  # noqa: E731
    assert ranks(expected_output(SLURM)) == ranks(expected_output(REHEARSAL)) != []
    code = next(b.code for b in model().blocks if b.name == "slurm_sbatch.sh")
    assert "srun python train.py fit" in code and "torchrun" not in code


def slurm_job(monkeypatch, nodes: int, tasks_per_node: int, rank: int) -> None:
    """The environment srun gives one task of a job (tasks numbered node by node, as srun's block distribution).
    A Trainer made there sets Lightning's rank_zero_only.rank; it is put back after the test."""
    from lightning_fabric.utilities.rank_zero import rank_zero_only as fabric_rank_zero_only
    from pytorch_lightning.utilities.rank_zero import rank_zero_only

    for function in (rank_zero_only, fabric_rank_zero_only):
        monkeypatch.setattr(function, "rank", getattr(function, "rank", 0))
    monkeypatch.setattr("shutil.which", lambda name: None)  # no srun here: skip the "srun not used" hint
    env = dict(SLURM_NTASKS=str(nodes * tasks_per_node), SLURM_NTASKS_PER_NODE=str(tasks_per_node),
               SLURM_NNODES=str(nodes), SLURM_JOB_NAME="train.sbatch", SLURM_NODELIST=f"node[0-{nodes - 1}]",
               SLURM_JOB_ID="1", SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank % tasks_per_node),
               SLURM_NODEID=str(rank // tasks_per_node))
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_lightning_reads_the_ranks_from_slurm_and_refuses_a_mismatch(monkeypatch):
    claim(SLURM, "Lightning は SLURM の環境変数からランクを読み")
    claim(SLURM, "Lightning は SLURM の環境変数から、ランク、ノードの番号、プロセスの数を読む")
    claim(SLURM, "だから torchrun もランデブーの設定も要らない")
    claim(SLURM, "ノードの数（= num_nodes）")
    claim(SLURM, "1 ノードのプロセスの数（= devices）")
    claim(SLURM_CHECKS, "`--ntasks-per-node` と `devices` がずれると、Lightning は学習を始める前にエラーで止まる")
    claim(SLURM_CHECKS, "num_nodes が nodes と違うときも、Lightning はエラーにする")
    claim(SLURM_CHECKS, "タスクの番号は、Lightning のグローバルランクと同じ")
    from pytorch_lightning.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

    slurm_job(monkeypatch, nodes=2, tasks_per_node=4, rank=5)
    t = trainer(accelerator="cpu", devices=4, num_nodes=2, strategy="ddp")
    env = t.strategy.cluster_environment
    assert type(env).__name__ == "SLURMEnvironment" and env.creates_processes_externally  # srun starts them
    assert (env.global_rank(), env.node_rank(), env.local_rank(), env.world_size()) == (5, 1, 1, 8)
    assert env.main_address == "node0"  # the first node of the job: no rendezvous endpoint to give
    assert "validate_settings" in inspect.getsource(_SubprocessScriptLauncher.launch)  # checked at launch
    env.validate_settings(num_devices=4, num_nodes=2)
    with pytest.raises(ValueError, match=re.escape("`devices=2` in Lightning, but the number of tasks per node "
                                                   "configured in SLURM `--ntasks-per-node=4` does not match")):
        env.validate_settings(num_devices=2, num_nodes=2)
    with pytest.raises(ValueError, match="`num_nodes=1` in Lightning, but the number of nodes configured in SLURM"):
        env.validate_settings(num_devices=4, num_nodes=1)
    monkeypatch.delenv("SLURM_NTASKS_PER_NODE")
    with pytest.raises(RuntimeError, match="--ntasks-per-node"):  # --ntasks alone is refused too
        trainer(accelerator="cpu", devices=4, num_nodes=2, strategy="ddp")


def test_a_forgotten_num_nodes_with_one_process_per_node_is_no_error(monkeypatch):
    """What the deck's own job does on the cluster with --trainer.num_nodes=1 (tests/test_slurm_cluster.py):
    every task trains alone, with a sampler of its own; here, what Lightning makes of srun's environment."""
    claim(SLURM_CHECKS, "ただし 1 ノードに 1 プロセスのまま num_nodes を書き忘れると、エラーにならず、各ノードで別々の学習が始まってしまう")
    for rank in (0, 1):
        slurm_job(monkeypatch, nodes=2, tasks_per_node=1, rank=rank)
        t = trainer(accelerator="cpu", devices=1, strategy="auto")  # num_nodes left at its default, 1
        assert type(t.strategy).__name__ == "SingleDeviceStrategy" and (t.world_size, t.global_rank) == (1, 0)
    slurm_job(monkeypatch, nodes=2, tasks_per_node=4, rank=0)  # with several processes per node: refused
    t = trainer(accelerator="cpu", devices=4)
    with pytest.raises(ValueError, match="`--nodes=2` does not match"):
        t.strategy.cluster_environment.validate_settings(num_devices=4, num_nodes=1)


def test_a_gpu_cluster_runs_one_process_per_gpu(monkeypatch):
    claim(SLURM_GPU, "`train.py` はそのまま：`train.sbatch` のデバイスの行だけを変える")
    claim(SLURM_GPU, "`#SBATCH --ntasks-per-node=4`（= `devices`）")
    claim(SLURM_GPU, "`--trainer.devices=4`（1 プロセスに GPU 1 枚）")
    claim(SLURM_GPU, "GPU のクラスターでは、1 ノードの GPU の数だけプロセスを起動し、各プロセスが GPU を 1 枚使う")
    fake_gpus(monkeypatch, 4)
    for rank in range(8):
        slurm_job(monkeypatch, nodes=2, tasks_per_node=4, rank=rank)
        t = trainer(accelerator="gpu", devices=4, num_nodes=2, strategy="ddp")
        assert t.world_size == 8 and t.strategy.root_device == torch.device("cuda", rank % 4)
        assert t.strategy._get_process_group_backend() == "nccl"
    t.strategy.cluster_environment.validate_settings(num_devices=4, num_nodes=2)


def test_lightning_ends_the_nccl_process_group_at_exit():
    """Why a GPU job needs no extra end of train.py: Lightning destroys the NCCL process group at exit
    (gloo's it leaves to the interpreter; the deck's CPU job measured clean, see the section's head)."""
    from lightning_fabric.utilities import distributed

    source = inspect.getsource(distributed._init_dist_connection)
    assert 'if torch_distributed_backend == "nccl":' in source and "atexit.register(_destroy_dist_connection)" in source
    assert "torch.distributed.destroy_process_group()" in inspect.getsource(distributed._destroy_dist_connection)


SRUN_HINT = "The `srun` command is available on your system but is not used."


def test_the_srun_hint_on_a_login_node(monkeypatch, quiet):
    claim(SLURM_GPU, "`The srun command is available on your system but is not used` と出たら：SLURM の計算機で "
                     "`srun` を使わずに学習を始めたという注意")
    claim(SLURM_GPU, "ログインノードでの試しなら気にしなくてよい")
    claim(SLURM_GPU, "srun の注意は、srun コマンドのある計算機、つまりクラスターのログインノードなどで出る")
    from pytorch_lightning.utilities.warnings import PossibleUserWarning

    for key in [k for k in __import__("os").environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/srun" if name == "srun" else None)  # a login node
    with pytest.warns(PossibleUserWarning, match=re.escape(SRUN_HINT)) as seen:
        t = pl.Trainer(accelerator="cpu", devices=1, max_steps=1, limit_val_batches=1, logger=False,
                       enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    hint = str(seen[0].message)
    assert "prepend your python command with `srun`" in hint
    t.fit(BoringModel())  # a hint, nothing more: the fit runs, on this machine, as one process
    assert t.global_step == 1 and t.world_size == 1
    assert type(t._accelerator_connector.cluster_environment).__name__ == "LightningEnvironment"  # not SLURM
    slurm_job(monkeypatch, nodes=2, tasks_per_node=1, rank=0)  # under srun: no hint
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/srun" if name == "srun" else None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PossibleUserWarning)
        trainer(accelerator="cpu", devices=1, num_nodes=2, strategy="ddp")
    from tests.test_notebook import ALLOWED  # the notebook's test lets a login node's run show it, for this slide

    assert any(p.search(f"/x/lightning_fabric/plugins/environments/slurm.py:204: {hint}") for p in ALLOWED.values())


# --------------------------------------------------------------------------------------------


def test_the_ledger_table_counts_what_is_here():

    source = Path(__file__).read_text(encoding="utf-8")
    tests = source.split("# (b) checked here", 1)[1]
    b = len(re.findall(r"^\s+claim\(", tests, re.M))
    table = dict(re.findall(r"^\| \((\w)\) .*?\|\s+(\d+) \|$", __doc__, re.M))
    total = int(re.search(r"^\| total .*?\|\s+(\d+) \|$", __doc__, re.M).group(1))
    a, d = len(ON_SLIDE) + len(SLURM_ON_SLIDE), len(SLURM_EVIDENCE)
    assert {k: int(v) for k, v in table.items()} == {"a": a, "b": b, "c": len(DOCS), "d": d}
    assert total == a + b + len(DOCS) + d
