"""Every checked output of the deck is the same on a CPU, a CUDA (one GPU or several) and an Apple MPS machine.

The deck's main fit trains where it runs (``accelerator="auto"``: the GPU if there is one), as a
reader's would. So a checked output prints no number that the device changes: a demo that compares
numbers runs both sides on the CPU, named explicitly; the others print counts, shapes, orders and
facts that hold on any device. Why, per checked output: `WHY` below (a test holds it to the deck).

Across devices:

- TF32: on Ampere and newer NVIDIA GPUs, convolutions use TF32 by default (cudnn allow_tf32 /
  conv fp32_precision "tf32"), matmuls do not (cuda.matmul allow_tf32 False). Only the fit's numbers
  meet it: none of them is printed, and its figures are compared on their recording device only.
  Both sides of the one numeric comparison (same_loss.py) run on the CPU.
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
import torch

import deck
from deck.paths import DECKS
from tests.claims.lightning_fakes import fake_gpus
from tools import figures


MODEL = deck.load(DECKS[0])

# Per checked output (a block's stable name, or a figure file): where it trains, and why what it shows
# is the same on CPU, CUDA and MPS.
WHY = {
    "same_loss.py": ("accelerator='cpu' and the plain loop's default device 'cpu'",
                     "both sides of the comparison on the CPU, said in the code; TF32 is a CUDA setting"),
    "checkpoint_early_stopping.py": ("auto, devices=1", "the file names ModelCheckpoint was given, not a step or a score"),
    "predict.py": ("auto, devices=1 (the checkpoint's)", '"120 枚以上" is a bar, not the count (127 of 128 here)'),
    "hook_order.py": ("auto, devices=1", "hook order and modes: one loop for every accelerator"),
    "device_transfer.py": ("auto, devices=1", "compares with trainer.strategy.root_device instead of printing it"),
    "is_nn_module.py": ("CPU, no Trainer", "type, keys, shape, parameter count"),
    "flags.py": ("accelerator='cpu'", "the precision setting's name, not a number it computed"),
    "plain_dataloaders.py": ("auto, devices=1", "a step count"),
    "scheduler.py": ("auto, devices=1", "the step count and the schedule's last value: arithmetic of max_steps, not of the data"),
    "main_guard.py": ("auto, devices=1", "step count and worker count"),
    "ddp_sampler.py": ("accelerator='cpu', 2 processes", "sampler sizes; gloo"),
    "cli_config.sh": ("auto, devices=1 (config.yaml)", "the file names ModelCheckpoint was given"),
    "two_nodes.sh": ("--trainer.accelerator=cpu, devices=1", "sampler sizes; one process per node, started by torchrun"),
    "figures/digits.png": ("CPU, no model", "the data after the transform"),
    "figures/learning_curve.svg": ("auto, devices=1 (the fit)", "device-dependent: its record names the device it "
                                   "was made on; compared there, elsewhere a NotCompared warning"),
    "figures/predictions.png": ("auto, devices=1 (the checkpoint slide)", "device-dependent: as the learning curve"),
    "slurm_sbatch.sh": ("--trainer.accelerator=cpu, devices=1 (srun, one task per node)",
                        "sampler sizes; one process per node, started by srun"),
    "slurm_questions.sh": ("--trainer.accelerator=cpu", "host names, task numbers and Lightning's refusal: no device in them"),
}


def checked_outputs() -> set[str]:
    blocks = {b.name for b in MODEL.blocks if b.expected}
    shown = {image.src for s in MODEL.slides for image in s.images if image.src.startswith(f"{figures.FOLDER}/")}
    return blocks | shown


def test_every_checked_output_says_why_it_is_device_independent():
    missing, gone = checked_outputs() - WHY.keys(), WHY.keys() - checked_outputs()
    assert not missing, f"no entry in WHY for {sorted(missing)}: say why it is device-independent"
    assert not gone, f"entries in WHY for {sorted(gone)}, which the deck no longer has: remove them"


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


def test_tf32_is_on_for_cuda_convolutions_and_off_for_matmuls_by_default():
    """What the table says of TF32, as this torch sets it (readable without a GPU)."""
    assert torch.backends.cudnn.allow_tf32 is True
    assert torch.backends.cuda.matmul.allow_tf32 is False
    if hasattr(torch.backends.cudnn, "conv"):  # the newer spelling of the same settings
        assert torch.backends.cudnn.conv.fp32_precision == "tf32"
        assert torch.backends.cuda.matmul.fp32_precision in ("none", "ieee")


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
