"""The claims ledger against the deck (it runs on every prose edit; the ledger itself: tests/claims/): each
registered claim is still on its slide, each shown claim's text is in its block, each docs URL is on the
appendix; and the claims whose evidence is the deck itself (its blocks, notebook, figure records)."""

from __future__ import annotations

import importlib.metadata
import io
import json
import math
import re
import shlex
import subprocess
import sys
import tomllib
from functools import cache
from urllib.parse import urljoin

from packaging.requirements import Requirement
from pytest_codeblocks.main import extract_from_buffer

import deck
from deck.paths import DECKS, ROOT
from tools import figures, notebook

from tests.claims import ledger
from tests.claims.ledger import Claim, Docs, Shown, claims
from tests.claims.slides import CURVE, INSTALL, QUIET, RUNS, SUMMARY

DECK = DECKS[0]
REFERENCES = ("付録：参考資料", "付録：本資料とリポジトリ")  # the appendix slides that hold the links


def model() -> deck.Deck:
    return deck.load(DECK)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)  # a quote may wrap in the source


def slides() -> dict[str, deck.Slide]:
    return {s.title: s for s in model().slides if s.title}


def problem(claim: Claim) -> str | None:
    slide = slides().get(claim.slide)
    if slide is None:
        return f"no slide headed「{claim.slide}」any more"
    if _flat(claim.quote) not in _flat(slide.source):
        return f"slide「{claim.slide}」no longer says「{claim.quote}」"
    return None


def where(entry: ledger.Entry) -> str:
    return entry.test if isinstance(entry, ledger.Tested) else f"{entry.kind} {entry.claim.quote[:30]}…"


def test_every_claim_is_still_on_its_slide():
    problems = sorted({f"{where(e)}: {p}" for e in ledger.everything() if (p := problem(e.claim))})
    assert not problems, "revisit these claims (tests/claims/):\n" + "\n".join(problems)


def test_every_shown_claim_is_in_its_blocks_checked_output_or_code():
    blocks = {b.name: b for b in model().blocks}
    problems = []
    for entry in (e for e in ledger.everything() if isinstance(e, Shown)):
        block = blocks.get(entry.block)
        if block is None:
            problems.append(f"{entry.quote[:30]}…: no block {entry.block}")
        elif entry.text not in (block.expected_output or "") and entry.text not in block.code:
            problems.append(f"{entry.quote[:30]}…: {entry.block} neither shows nor runs「{entry.text}」")
    assert not problems, "\n".join(problems)


def test_the_two_losses_compared_on_the_slide_are_the_same_number():
    """「loss は小数点以下 4 桁まで一致する」: the checked output of same_loss.py shows two equal numbers
    (the numbers themselves are whatever `make outputs` recorded)."""
    shown = next(b for b in model().blocks if b.name == "same_loss.py").expected_output
    losses = re.findall(r"^(PyTorch|Lightning):\s+(\d\.\d{4})$", shown, re.M)
    assert [name for name, _ in losses] == ["PyTorch", "Lightning"] and losses[0][1] == losses[1][1], shown


@cache
def _linked(text: str) -> frozenset[str]:
    """The URLs a references slide gives: <https://…> and the `name.html` written after one on its line."""
    found = set()
    for line in text.splitlines():
        urls = re.findall(r"<(https?://[^>\s]+)>|\]\((https?://[^)\s]+)\)", line)
        urls = [a or b for a, b in urls]
        found.update(urls)
        if urls:
            found.update(urljoin(urls[0], name) for name in re.findall(r"`([\w./-]+\.html)`", line))
    return frozenset(found)


def test_every_docs_url_is_on_the_appendix():
    everything = slides()
    references = [s for title, s in everything.items() if title.startswith(REFERENCES)]
    assert references and all(s.appendix for s in references), "no references slide in the appendix"
    missing = set()
    for entry in (e for e in ledger.everything() if isinstance(e, Docs)):
        own = everything.get(entry.slide)
        places = references + ([own] if own and own.appendix else [])
        if not any(entry.url in _linked(s.source) for s in places):
            missing.add(entry.url)
    assert not missing, ("add these URLs to 「付録：参考資料」 (claims of tests/claims/ cite them):\n"
                         + "\n".join(sorted(missing)))


def test_the_counts_come_from_the_registry(capsys):
    counts = ledger.counts()
    assert all(counts[kind] for kind in ("shown", "tested", "docs"))
    with capsys.disabled():
        print(f"\nclaims ledger: {counts}")


# --------------------------------------------------------------------------------------------
# claims whose evidence is the deck itself


@claims(Claim("PyTorch Lightning 入門", "スライドのコードは、GPU でしか動かないものを除いて、すべて実際に動かして確かめてあります。"),
        Claim("付録：本資料とリポジトリ", "コードブロックは `pytest-codeblocks` ですべて実行してテストしている（GPU のコマンドは除く）"))
def test_every_block_runs():
    # As the runner reads the deck: no skip, skipif, xfail or importorskip on a block, no skipfile.
    text = DECK.read_text(encoding="utf-8")
    assert "pytest-codeblocks:skipfile" not in text
    assert [b.lineno for b in extract_from_buffer(io.StringIO(text)) if b.marks or b.importorskip] == []


@claims(Claim("付録：本資料とリポジトリ", "`PyTorchLightningExampleOnMNIST.ipynb`：本資料のコードを順に並べたノートブック（Jupyter・Colab）"),
        Claim(SUMMARY, "今日のコードも付録のコードも動かせる"),
        Claim(QUIET, "ノートブックでは、このセルをインストールの直後に実行する"))
def test_the_notebook_is_the_decks_code_with_the_display_cell_after_the_install():
    # (that the committed notebook is this build: make check, tests/deck/test_generated_current.py)
    code = [c.source for c in notebook.build(DECK).cells if c.cell_type == "code"]
    assert code[0].startswith("%pip install") and "pytorch-lightning" in code[0]
    assert "log.addFilter" in code[1]  # the display cell, right after the install
    for block in model().blocks:
        if block.info in ("python",) and not block.is_module:
            last = block.code.strip().splitlines()[-1]
            assert any(last in cell for cell in code), block.name


@claims(Claim(INSTALL, "動作確認：2.6.6"))
def test_the_stated_version_is_the_recorded_one_and_the_installed_one_is_allowed():
    stated = re.search(r"動作確認：(\d+\.\d+\.\d+)", slides()[INSTALL].prose).group(1)
    records = [json.loads(p.read_text(encoding="utf-8")) for p in figures.folder(model()).glob("*.json")]
    recorded = {r["versions"]["pytorch-lightning"] for r in records if "pytorch-lightning" in r.get("versions", {})}
    assert recorded == {stated}, f"the deck says {stated}; its figures were recorded with {sorted(recorded)}"
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]["deck"]
    allowed = next(Requirement(r) for r in groups if isinstance(r, str) and r.startswith("pytorch-lightning"))
    assert importlib.metadata.version("pytorch-lightning") in allowed.specifier and stated in allowed.specifier


@claims(Claim(INSTALL, "Colab には torch が最初から入っているので、そのまま 1 行目を実行すれば大丈夫です。"))
def test_the_first_install_line_names_no_torch_and_no_upgrade():
    install = next(b for b in model().blocks if b.name == "install.sh")
    first = install.code.splitlines()[0]
    assert first.startswith("pip install ") and "-U" not in first.split() and "--upgrade" not in first
    assert not re.search(r"\btorch\b(?!vision)", first), "the install line names no torch"
    # Everything is installed here, as torch/torchvision/matplotlib/tensorboard are on Colab: pip keeps them.
    report = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--quiet", "--report",
                             "-", *shlex.split(first)[2:]], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["install"] == []
    torch_req = next(Requirement(r) for r in importlib.metadata.requires("pytorch-lightning")
                     if Requirement(r).name == "torch")
    assert not torch_req.marker and torch_req.specifier.contains("2.11.0")  # Colab's torch (its pip freeze) is accepted


@claims(Claim(RUNS, "図は、train.py の実行の記録から描いたものです。"),
        Claim(CURVE, "`train.py` の実行が TensorBoard に書いた記録を読み、matplotlib で描く"))
def test_the_learning_curve_is_drawn_from_the_train_py_run():
    """The figure's record plots train_loss every 50 steps up to the last 50 of train.py's whole run
    (its max_epochs × 422 batches: 54,000 images, batch 128), which learning_curve.py reads as the newest run."""
    record = json.loads((figures.folder(model()) / "learning_curve.json").read_text(encoding="utf-8"))
    assert record["block"] == "learning_curve.py"
    steps = record["plotted"]["axes"][0]["lines"][0]["x"]
    assert steps and all((s + 1) % 50 == 0 for s in steps)  # train_loss every 50 steps
    blocks = {b.name: b for b in model().blocks}
    epochs = int(re.search(r"max_epochs=(\d+)", blocks["train.py"].code).group(1))
    run = epochs * math.ceil(54_000 / 128)
    assert steps[-1] + 1 == run // 50 * 50, f"{steps[-1] + 1} steps plotted; train.py runs {run}"
    assert 'Path("lightning_logs").glob("version_*"), key=os.path.getmtime' in blocks["learning_curve.py"].code
    names = list(blocks)
    assert names.index("run_train.sh") < names.index("learning_curve.py")
