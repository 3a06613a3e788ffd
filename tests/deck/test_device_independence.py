"""Every checked output of the deck is the same on a CPU, a CUDA (one GPU or several) and an Apple MPS machine.

The deck's main fit trains where it runs (``accelerator="auto"``: the GPU if there is one), as a
reader's would. So a checked output prints no number that the device changes: a demo that compares
numbers runs both sides on the CPU, named explicitly; the others print counts, shapes, orders and
facts that hold on any device, and no device name. Figures of a fit are compared only on the device
they were recorded on (tools/figures.py).

Across devices:

- TF32: on Ampere and newer NVIDIA GPUs, convolutions use TF32 by default. Only the fit's numbers
  meet it: none of them is printed. Both sides of the one numeric comparison (same_loss.py) run on the CPU.
- Several GPUs: ``devices="auto"`` on 2+ GPUs selects DDP, whose launcher starts the script again
  once per further GPU (under pytest: pytest again). Every Trainer an executed block builds has
  ``devices=1`` (the fit, the checkpoint slide, quick.py) or is a CPU run;
  `test_no_trainer_of_the_deck_can_start_processes_on_several_gpus` builds each one on four faked GPUs.
- MPS: its own float32 kernels; the same as CUDA for what is printed. ``accelerator="auto"`` picks MPS
  before CUDA (lightning_fabric/utilities/device_parser.py ``_select_auto_accelerator``).
"""

from __future__ import annotations

import ast
import re
import types
import warnings

import pytest
import pytorch_lightning as pl

import deck
from deck.paths import DECKS
from tests.claims.lightning_fakes import fake_gpus
from tools import figures


MODEL = deck.load(DECKS[0])

def _trainers(block: deck.Block) -> list[tuple[str, dict]]:
    """The Trainers a block builds: (the function called, its keyword arguments that are literals)."""
    found = []
    for node in ast.walk(ast.parse(block.code)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("Trainer", "quick_trainer"):
                if any(kw.arg is None for kw in node.keywords):  # quick.py's Trainer(**(settings | flags)):
                    assert block.name == "quick.py", block.where()  # built through each quick_trainer call
                    continue
                flags = {}
                for kw in node.keywords:
                    try:
                        flags[kw.arg] = ast.literal_eval(kw.value)
                    except ValueError:  # callbacks, a logger: nothing to do with devices
                        pass
                found.append((name, flags))
    return found


def _quick_trainer():
    quick = types.ModuleType("quick")
    exec(next(b for b in MODEL.blocks if b.name == "quick.py").code, quick.__dict__)
    return quick.quick_trainer


def test_no_trainer_of_the_deck_can_start_processes_on_several_gpus(monkeypatch):
    from pytorch_lightning.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

    fake_gpus(monkeypatch, 4)
    build = {"Trainer": pl.Trainer, "quick_trainer": _quick_trainer()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert isinstance(pl.Trainer(logger=False).strategy.launcher, _SubprocessScriptLauncher)  # the hazard
        built = 0
        for block in MODEL.blocks:
            if block.info != "python":
                continue
            for name, flags in _trainers(block):
                trainer = build[name](**flags)
                built += 1
                where = f"{block.where()}: {name}({flags})"
                assert not isinstance(trainer.strategy.launcher, _SubprocessScriptLauncher), where
                assert trainer.num_devices == 1 or trainer.accelerator.__class__.__name__ == "CPUAccelerator", where
    assert built >= 9
    two_nodes = next(b for b in MODEL.blocks if b.name == "two_nodes.sh").code
    assert "--nproc-per-node=1" in two_nodes
    assert re.findall(r"--trainer\.(accelerator|devices)=(\S+)", two_nodes) == [("accelerator", "cpu"), ("devices", "1")]


def test_the_numbers_compared_on_a_slide_come_from_the_cpu_on_both_sides():
    blocks = {b.name: b.code for b in MODEL.blocks}
    assert 'device: str = "cpu"' in blocks["plain_loop.py"] or 'device="cpu"' in blocks["plain_loop.py"]
    same = blocks["same_loss.py"]
    assert "quick_trainer(accelerator=\"cpu\"" in same
    assert re.search(r"fit_plain\([^)]*\)", same) and "device" not in re.search(r"fit_plain\([^)]*\)", same).group()
    from bench import worker  # the benchmark compares the same losses (its arms must train the same model)

    assert worker.DEVICE == {"accelerator": "cpu", "devices": 1}


def test_no_checked_output_names_a_gpu():
    for block in MODEL.blocks:
        if block.expected:
            assert not re.search(r"cuda|mps", block.expected_output), block.where()


def test_the_figures_of_the_fit_say_where_they_were_made():
    import json

    for name in ("learning_curve", "predictions", "digits"):
        record = json.loads((figures.folder(MODEL) / f"{name}.json").read_text(encoding="utf-8"))
        assert record["device"] == "cpu", name  # the committed records: CI's machine, no GPU


@pytest.mark.parametrize("here", ["cpu", "cuda"])
def test_a_figure_made_on_another_device_is_not_failed_but_said(here, monkeypatch):
    import json

    block = next(b for b in MODEL.blocks if b.name == "show_predictions.py")
    record = json.loads((figures.folder(MODEL) / "predictions.json").read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(record["plotted"]))
    changed["axes"][0]["title"] = "3"  # another model's first prediction
    monkeypatch.setattr(figures, "device", lambda: here)
    if here == record["device"]:
        problems = figures.compare("predictions.png", block, changed)
        assert problems and "differs from its record" in problems[0]
    else:
        with pytest.warns(figures.NotCompared, match=r"recorded on cpu, this run trains on cuda.*not compared"):
            assert figures.compare("predictions.png", block, changed) == []
    assert figures.compare("predictions.png", block, record["plotted"]) == []  # the same numbers pass anywhere
