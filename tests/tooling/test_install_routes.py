"""pip, uv and poetry, the three routes the README names: what CI can run of each without ~3 GB of CUDA torch.

What runs for real: pip (it made `.venv`: every test here runs in it), the Makefile's choice of
installer in a venv without pip (uv's), the harness's stop when a venv has no pip, and, marked
`network` (`make test-network`, which CI runs), uv's and poetry's resolution of the whole project, `uv sync`'s plan and
poetry's install plan. The full installs by uv and poetry were run by hand once (the README's table).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from deck.paths import CACHE, ROOT
from tests.support.scratch import make
from tools import matrix
from tools.generated import copy_project_files

TOOLS = CACHE / "install-tools"  # uv and poetry, in a venv of their own (never .venv)
# Locked in two versions by poetry 2.5 (measured 2026-11-25 with torch 2.15.0): see the README's poetry route.
POETRY_LOCKS_TWICE = {"nvidia-cublas", "nvidia-cuda-nvrtc"}


def test_a_venv_without_pip_is_filled_by_uv(tmp_path: Path):
    # `uv venv` / `uv sync` make a venv without pip; with uv on PATH the Makefile uses `uv pip`.
    venv.EnvBuilder(with_pip=False).create(tmp_path / ".venv")
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "uv").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/uv-args\n')
    (fake / "uv").chmod(0o755)
    done = make(tmp_path, ".venv/.installed", env=dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}"),
                timeout=120)
    assert done.returncode == 0, done.stderr
    assert "a uv venv: no pip in it" in done.stdout
    assert (tmp_path / "uv-args").read_text().split() == ["pip", "install", "--quiet", "--python", ".venv/bin/python",
                                                          "--group", "dev", "pip"]


def test_a_venv_without_pip_is_named_before_the_install_block_could_use_another_pythons_pip(tmp_path: Path, run_deck):
    # As after `uv sync`: no pip in the venv, so `pip` in the deck's install block would be the next one on PATH.
    venv.EnvBuilder(with_pip=False).create(tmp_path / "uv-venv")
    python = tmp_path / "uv-venv" / "bin" / "python"
    site = subprocess.check_output([str(python), "-c", "import site; print(site.getsitepackages()[0])"], text=True).strip()
    ours = subprocess.check_output([sys.executable, "-c", "import site; print(site.getsitepackages()[0])"], text=True).strip()
    Path(site, "project-venv.pth").write_text(ours + "\n")  # this project's packages, but not its pip script
    done = run_deck("# 1\n\n<!-- snippet: one -->\n```python\nprint(1)\n```\n", python=str(python), timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "has no pip, so the deck's install block would run" in done.stdout + done.stderr
    assert f"uv pip install --python {python} pip" in done.stdout + done.stderr


def test_poetry_installs_no_project_package():
    # Without it, `poetry install` fails at its last step: "No file/folder found for package".
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["poetry"]["package-mode"] is False


@pytest.fixture(scope="module")
def tools() -> Path:
    bin_ = TOOLS / "bin"
    if not (bin_ / "poetry").exists() or not (bin_ / "uv").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
        subprocess.run([str(bin_ / "python"), "-m", "pip", "install", "--quiet", "uv", "poetry>=2.2"], check=True)
    return bin_


def project_copy(folder: Path) -> Path:
    """The project's files (with its top-level folders: a uv that took it for a package would find several)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    copy_project_files(sorted({name.split("/")[0] for name in listed.split("\0") if name}), ROOT, folder)
    return folder


def locked(lock: Path, name: str) -> set[str]:
    return {p["version"] for p in tomllib.loads(lock.read_text())["package"] if p["name"] == name}


@pytest.mark.network
# A copy of the whole project: the deck is sample input (its code is in snippets/, in this test's key).
def test_uv_resolves_the_current_torch_and_the_floor_range(tools: Path, tmp_path: Path):
    project = project_copy(tmp_path)
    subprocess.run([str(tools / "uv"), "lock", "--quiet"], cwd=project, check=True, timeout=600)
    assert locked(project / "uv.lock", "pytorch-lightning") and all(
        tuple(map(int, v.split("."))) >= tuple(map(int, matrix.floor().split(".")))
        for v in locked(project / "uv.lock", "pytorch-lightning"))
    # What a reader runs first: `uv sync` installs the groups and never builds the folder as a package.
    done = subprocess.run([str(tools / "uv"), "sync", "--dry-run", "--group", "dev"], cwd=project,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "pytorch-lightning-nyumon" not in done.stdout + done.stderr, done.stderr
    # What the Makefile runs in a uv venv, resolved for this machine's Python (no download: --dry-run).
    done = subprocess.run([str(tools / "uv"), "pip", "install", "--dry-run", "--python", sys.executable,
                           "--group", "dev"], cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


@pytest.mark.network
# A copy of the whole project: the deck is sample input (its code is in snippets/, in this test's key).
def test_poetry_locks_one_current_torch_for_every_supported_python_and_installs_no_project(tools: Path, tmp_path: Path):
    project = project_copy(tmp_path)
    # This workplace's PyPI serves the simple index but not the JSON API that poetry's default
    # source reads; a reader's poetry needs no such source.
    with open(project / "pyproject.toml", "a", encoding="utf-8") as f:
        f.write('\n[[tool.poetry.source]]\nname = "pypi-simple"\nurl = "https://pypi.org/simple/"\npriority = "primary"\n')
    env = dict(os.environ, POETRY_VIRTUALENVS_IN_PROJECT="true", POETRY_CACHE_DIR=str(TOOLS / "poetry-cache"))
    subprocess.run([str(tools / "poetry"), "check"], cwd=project, check=True, env=env)
    subprocess.run([str(tools / "poetry"), "lock", "-n"], cwd=project, check=True, env=env, timeout=900)
    # One torch for the whole requires-python range, and not an old one for some corner of it.
    assert len(locked(project / "poetry.lock", "torch")) == 1, locked(project / "poetry.lock", "torch")
    assert len(locked(project / "poetry.lock", "torchvision")) == 1
    # Poetry locks some nvidia-* libraries twice (torch's exact pin and another's open range) and installs
    # both into one folder: `import torch` then crashes. The README says so; this notices when it ends.
    # (numpy, networkx and contourpy are locked per Python version, with markers that keep them apart.)
    twice = {p["name"] for p in tomllib.loads((project / "poetry.lock").read_text())["package"]
             if p["name"].startswith("nvidia-") and len(locked(project / "poetry.lock", p["name"])) > 1}
    assert twice <= POETRY_LOCKS_TWICE, twice
    done = subprocess.run([str(tools / "poetry"), "install", "--dry-run", "-n", "--only", "deck"], cwd=project,
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Installing pytorch-lightning" in done.stdout and "current project" not in done.stdout
