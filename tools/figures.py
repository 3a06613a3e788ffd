"""Figures on the slides, made by the deck's own code and never older than what made them.

A block on a slide draws with matplotlib and calls ``fig.savefig("learning_curve.png")``; the slide
shows ``![…](figures/learning_curve.png)``. While the deck runs (harness/run.py), every ``savefig``
of a block is captured with *what it plotted* (lines, images, texts: `plotted`). Then:

- ``make figures`` (``pytest --update-figures``) copies each figure to ``slides/figures/`` with a
  record beside it (``NAME.json``): the producing block, a hash of the code that made it (that
  block and every block before it), the versions, and the plotted data;
- a plain run compares the plotted data with the record, within `TOLERANCE` (the bytes of a PNG or
  SVG differ between machines; the numbers do not, beyond float noise);
- the record names the device the deck's ``accelerator="auto"`` trains on (`device`); on another device
  a fit's numbers are another run's (TF32, other kernels): a difference is a `NotCompared` warning there;
- `review()` (part of ``make check``) fails on every figure whose code changed since it was made,
  with its slide and the command that remakes it, and notes (without failing) one made with other
  installed versions: the plotted numbers above are what decides whether such a figure is still right.

Figures are drawn in the deck's style (`STYLE`): Noto Sans JP (the deck's font, converted to TTF
for matplotlib), text at least the slide's body size, a colour-blind-safe palette (Okabe–Ito).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import warnings
from importlib import metadata
from pathlib import Path

import deck
from deck.paths import BUILD, DECKS, shown
from tools.generated import write_atomically

FOLDER = "figures"  # beside the deck: slides/figures/, linked as figures/NAME from the slides
FIX = "make figures"
VERSIONS = ["torch", "torchvision", "pytorch-lightning", "matplotlib"]
# Relative tolerance of plotted numbers between the record and a fresh run (float noise of
# CPU kernels across machines; the deck's runs are seeded and use one torch thread: harness/blocks.py).
TOLERANCE = 1e-3
BODY_PX = 28  # the theme's body text (slides/themes/lightning.css)
DPI = 96  # CSS pixels per inch: a figure shown at its natural size has text of the size drawn here
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
STYLE = {
    "font.family": ["Noto Sans JP"],
    "font.size": BODY_PX * 72 / DPI,  # points: 21 pt = 28 px at 96 dpi
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "svg.fonttype": "path",  # glyphs as paths: the SVG needs no font
    "axes.prop_cycle": f"cycler('color', {OKABE_ITO})",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.5,  # lines and markers to go with text of this size
    "lines.markersize": 9,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,  # the slide has its own margins
    "figure.constrained_layout.use": True,  # titles and labels of neighbouring axes never collide
}


def font_files() -> list[Path]:
    """Noto Sans JP (regular, bold) as TTF, cut to the deck's characters: matplotlib reads no woff2."""
    from tools import fonts

    chars = fonts.deck_characters()
    out = []
    for package, css_name in fonts.FACES:
        if package != "noto-sans-jp":
            continue
        path = BUILD / "fonts" / f"NotoSansJP-{css_name.removesuffix('.css')}.ttf"
        stamp = path.with_suffix(".inputs")
        if not (path.is_file() and stamp.is_file() and stamp.read_text() == fonts.inputs_line(chars)):
            path.parent.mkdir(parents=True, exist_ok=True)
            font, _ = fonts.cut(fonts.read_faces(package, css_name), chars, flavor=None)
            write_atomically(path, named(font, int(css_name.removesuffix(".css"))))
            write_atomically(stamp, fonts.inputs_line(chars))
        out.append(path)
    return out


def named(font_bytes: bytes, weight: int) -> bytes:
    """The family name and weight matplotlib should see (@fontsource's files carry "Noto Sans JP
    Thin" in their name table; CSS names them itself)."""
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(font_bytes))
    style = "Bold" if weight >= 700 else "Regular"
    for record_id, value in {1: "Noto Sans JP", 2: style, 4: f"Noto Sans JP {style}",
                             6: f"NotoSansJP-{style}", 16: "Noto Sans JP", 17: style}.items():
        font["name"].setName(value, record_id, 3, 1, 0x409)
        font["name"].setName(value, record_id, 1, 0, 0)
    font["OS/2"].usWeightClass = weight
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def use_deck_style() -> None:
    """matplotlib draws in the deck's font (registered with it), sizes and palette (the harness calls this once)."""
    import matplotlib
    from matplotlib import font_manager

    matplotlib.use("Agg")
    for path in font_files():
        font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams.update(STYLE)  # the cycler as a string, as in a matplotlibrc


def plotted(fig) -> dict:
    """What a figure shows, as numbers and strings: per axes its lines, images and texts."""
    def texts(artist) -> list[str]:
        return [t.get_text() for t in artist.texts if t.get_text()]

    axes = []
    for ax in fig.axes:
        axes.append({
            "title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "lines": [{"label": line.get_label(), "x": [float(v) for v in line.get_xdata()],
                       "y": [float(v) for v in line.get_ydata()]} for line in ax.get_lines()],
            "images": [{"shape": list(im.get_array().shape), "mean": float(im.get_array().mean())}
                       for im in ax.get_images()],
            "texts": texts(ax),
        })
    return {"axes": axes, "texts": texts(fig), "smallest_text_pt": min(
        (t.get_fontsize() for ax in fig.axes for t in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts,
                                                      *ax.get_xticklabels(), *ax.get_yticklabels()] if t.get_text()),
        default=None)}


def differences(recorded, fresh, where: str = "") -> list[str]:
    """Where `fresh` differs from `recorded` beyond TOLERANCE (numbers) or at all (the rest)."""
    if isinstance(recorded, dict) and isinstance(fresh, dict):
        return [d for k in sorted(recorded.keys() | fresh.keys())
                for d in differences(recorded.get(k), fresh.get(k), f"{where}.{k}")]
    if isinstance(recorded, list) and isinstance(fresh, list):
        if len(recorded) != len(fresh):
            return [f"{where}: {len(recorded)} items recorded, {len(fresh)} now"]
        return [d for i, (a, b) in enumerate(zip(recorded, fresh)) for d in differences(a, b, f"{where}[{i}]")]
    if isinstance(recorded, float) and isinstance(fresh, float):
        ok = math.isclose(recorded, fresh, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        return [] if ok else [f"{where}: {recorded:.6g} recorded, {fresh:.6g} now"]
    return [] if recorded == fresh else [f"{where}: {recorded!r} recorded, {fresh!r} now"]


def code_hash(block: deck.Block) -> str:
    """The code that made a figure: its block and every block before it in the deck, and the style."""
    h = hashlib.sha256(json.dumps(STYLE, sort_keys=True).encode())
    for earlier in block.deck.blocks:
        h.update(json.dumps([earlier.info, earlier.code]).encode())
        if earlier is block:
            break
    return h.hexdigest()


class NotCompared(UserWarning):
    """A figure recorded on another device differs from this run: shown, not failed (see `compare`)."""


def device() -> str:
    """The device the deck's ``accelerator="auto"`` trains on here, in Lightning's order
    (lightning_fabric/utilities/device_parser.py ``_select_auto_accelerator``: MPS, then CUDA, then
    the CPU; MPSAccelerator.is_available also asks for an ARM processor and no DISABLE_MPS=1).
    Plain torch, so it holds under either package name."""
    import os
    import platform

    import torch

    if (os.getenv("DISABLE_MPS", "0") != "1" and torch.backends.mps.is_available()
            and platform.processor() in ("arm", "arm64")):
        return "mps"
    return "cuda" if torch.cuda.is_available() else "cpu"


def versions() -> dict[str, str]:
    return {p: metadata.version(p) for p in VERSIONS}


def folder(model: deck.Deck) -> Path:
    return model.path.parent / FOLDER


def record_path(model: deck.Deck, name: str) -> Path:
    return folder(model) / f"{Path(name).stem}.json"


def keep(made: Path, block: deck.Block, data: dict) -> str:
    """`make figures`: copy a figure the block made into slides/figures/ with its record."""
    folder(block.deck).mkdir(exist_ok=True)
    target = folder(block.deck) / made.name
    shutil.copyfile(made, target)
    record = {"figure": made.name, "block": block.name, "slide": block.first.slide.title,
              "code": code_hash(block), "versions": versions(), "device": device(), "plotted": data}
    write_atomically(record_path(block.deck, made.name), json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return f"{shown(target)}: made by {block.where()}"


def compare(name: str, block: deck.Block, data: dict) -> list[str]:
    """A fresh run's plotted data against the record; problems as lines (recorded on another device: a warning)."""
    path = record_path(block.deck, name)
    if not path.is_file():
        return [f"figure {name} ({block.where()}) has no record {shown(path)}: run `{FIX}`"]
    record = json.loads(path.read_text(encoding="utf-8"))
    found = differences(record["plotted"], data, name)
    recorded_on, here = record.get("device", "cpu"), device()
    if found and recorded_on != here:
        warnings.warn(NotCompared(
            f"figure {shown(folder(block.deck) / name)} ({block.where()}) was recorded on {recorded_on}, this run "
            f"trains on {here}: what it plots differs in {len(found)} place(s), first {found[0]}; not compared "
            f"across devices (`{FIX}` here would record it on {here})"), stacklevel=2)
        return []
    return [f"figure {shown(folder(block.deck) / name)} ({block.where()}): what it plots differs from its record "
            f"(tolerance {TOLERANCE:g}): remake it with `{FIX}`", *found[:10]] if found else []


def review(decks: list[Path] = DECKS) -> tuple[list[str], list[str]]:
    """Every figure a slide shows, held against its record: (problems, notes), one line each (a reader's newer
    torch is not a stale figure: a note; the deck's run compares what each figure plots)."""
    problems, notes, installed = [], [], versions()
    for path in decks:
        model = deck.load(path)
        blocks = {b.name: b for b in model.blocks}
        for slide, link in [(s, i.src) for s in model.slides for i in s.images if i.src.startswith(f"{FOLDER}/")]:
            name = link.removeprefix(f"{FOLDER}/")
            where = f"{shown(path)} (slide {slide.number}「{slide.title}」)"
            record = record_path(model, name)
            if not (folder(model) / name).is_file() or not record.is_file():
                problems.append(f"figure {link} on {where} is missing or has no record: run `{FIX}`")
                continue
            made = json.loads(record.read_text(encoding="utf-8"))
            block = blocks.get(made.get("block"))
            if block is None or made["code"] != code_hash(block):
                problems.append(f"figure {link} on {where}: the code that made it changed: run `{FIX}`")
            elif other := {k: v for k, v in made["versions"].items() if installed.get(k) != v}:
                notes.append(f"note: figure {link} on {where} was made with {other}, installed "
                             f"{ {k: installed.get(k) for k in other} }; `{FIX}` remakes it")
    return problems, notes


def stale(decks: list[Path] = DECKS) -> list[str]:
    """The figures that fail `make check` (see review)."""
    return review(decks)[0]
