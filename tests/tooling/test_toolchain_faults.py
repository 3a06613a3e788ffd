"""Each toolchain fault, provoked for real, ends with a one-line cause, a remedy and exit != 0."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from deck.paths import ROOT
from tests.support.scratch import make, marp_build


def write_deck(tmp_path: Path, body: str = "# スライド\n", theme: str = "lightning") -> Path:
    deck = tmp_path / "deck.md"
    deck.write_text(f"---\nmarp: true\ntheme: {theme}\n---\n\n{body}", encoding="utf-8")
    return deck


@pytest.mark.parametrize("theme, body, output, said", [
    ("lightnin", "# スライド\n", "deck.html", ["unknown theme 'lightnin'", "lightning"]),
    ("lightning", "# 画像\n\n![](/etc/hostname)\n", "deck.pdf", ["accessing to local file", "warnings count as errors"]),
    ("lightning", "# 図\n\n![無い図](figures/no-such-figure.svg)\n", "deck.html",
     ["image figures/no-such-figure.svg: no such file", "run make figures"]),
])
def test_a_bad_theme_or_image_is_an_error_with_its_cause(tmp_path: Path, theme: str, body: str, output: str,
                                                          said: list[str]):
    pdf = ["--pdf"] if output.endswith(".pdf") else []
    done = marp_build(str(write_deck(tmp_path, body, theme)), *pdf, "-o", str(tmp_path / output))
    assert done.returncode == 1
    assert all(words in " ".join(done.stderr.split()) for words in said), done.stderr  # marp-cli wraps long lines
    assert pdf or not (tmp_path / output).exists()  # no HTML left (marp-cli writes the PDF of a blocked file)


def test_wrong_arguments_are_an_error(tmp_path: Path):
    # A misspelt flag swallows the deck as its value: marp-cli prints its usage and exits 0.
    done = marp_build("-o", str(tmp_path / "deck.pdf"), "--pdff", str(write_deck(tmp_path)))
    assert done.returncode == 1
    assert "printed its usage" in done.stderr


def test_no_node_on_path_is_named(tmp_path: Path):
    env = dict(os.environ, PATH=str(tmp_path))  # an empty folder: no node, no npm
    done = marp_build(str(write_deck(tmp_path)), "-o", str(tmp_path / "deck.html"), env=env)
    assert done.returncode == 1
    assert "Node.js is not on PATH" in done.stderr and "make slides" in done.stderr


def test_a_browser_that_cannot_start_is_named_with_the_remedy(tmp_path: Path):
    env = dict(os.environ, CHROME_PATH=shutil.which("false"))
    done = marp_build(str(write_deck(tmp_path)), "--pdf", "-o", str(tmp_path / "deck.pdf"), env=env)
    assert done.returncode == 1
    assert "could not find or start a browser" in done.stderr
    assert "apt-get install chromium" in done.stderr and "CHROME_PATH" in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr  # the one line, not marp-cli's stack


def test_no_browser_at_all_is_one_line_not_marp_clis_source(tmp_path: Path):
    # Only Node and what its launcher script needs on PATH, no CHROME_PATH: marp-cli finds no
    # browser and crashes, printing a line of its minified source (~12 KB) and a stack.
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for name in ("node", "sh", "env", "dirname"):
        (bin_ / name).symlink_to(shutil.which(name, path=os.environ["PATH"]))
    env = {k: v for k, v in os.environ.items() if k != "CHROME_PATH"} | {"PATH": str(bin_)}
    done = marp_build(str(write_deck(tmp_path)), "--pdf", "-o", str(tmp_path / "deck.pdf"), env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("error: marp-cli could not find or start a browser.")
    assert "brew install" in done.stderr and "apt-get install chromium" in done.stderr
    assert done.stderr.count("\n") == 1 and len(done.stderr) < 400, done.stderr


def test_an_unreachable_npm_registry_is_named(tmp_path: Path):
    for name in ("package.json", "package-lock.json", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)  # copy2 keeps .venv/.installed up to date
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = dict(os.environ, npm_config_registry="http://127.0.0.1:9/", npm_config_fetch_retries="0",
               npm_config_cache=str(tmp_path / "npm-cache"))  # closed loopback port, empty cache
    done = make(tmp_path, "node_modules/.installed", env=env)
    assert done.returncode != 0
    assert "error: npm ci failed: can this machine reach the npm registry (http://127.0.0.1:9/)?" in done.stderr
    assert not (tmp_path / "node_modules" / ".installed").exists()


# The deck as sample input: its code (in snippets/, in this test's key) decides, not its words.
def test_without_a_browser_make_slides_still_writes_the_html(tmp_path: Path):
    # A copy of the project that shares .venv, node_modules and tools/ (mtimes kept: nothing to set up).
    for name in (".venv", "node_modules", "deck", "tools", "marp.config.mjs"):
        (tmp_path / name).symlink_to(ROOT / name)
    for name in ("pyproject.toml", "package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "slides", tmp_path / "slides", copy_function=shutil.copy2)
    shutil.copytree(ROOT / "build" / "themes", tmp_path / "build" / "themes", copy_function=shutil.copy2)

    env = dict(os.environ, CHROME_PATH=shutil.which("false"))
    # -o: never remake the shared set-up (an `npm ci` here would empty the project's own node_modules).
    done = make(tmp_path, "-o", "node_modules/.slides", "-o", ".venv/.slides", "slides", env=env)
    assert done.returncode != 0
    assert "could not find or start a browser" in done.stderr and "apt-get install chromium" in done.stderr
    assert len(done.stderr) < 1000 and "node_modules" not in done.stderr, done.stderr  # no tool source dumped
    assert (tmp_path / "build" / "pytorch-lightning.html").stat().st_size > 100_000
    assert not (tmp_path / "build" / "pytorch-lightning.pdf").exists()  # no half-written PDF


def test_no_node_and_no_download_names_both_remedies(tmp_path: Path):
    # A venv holding only python and nodeenv, a `node` that is not Node >= 18, and a download that
    # fails (nodejs.org is unreachable here; online, version 99.0.0 does not exist).
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name in ("python", "nodeenv"):
        (venv_bin / name).symlink_to(ROOT / ".venv" / "bin" / name)
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / ".venv" / ".slides").touch()
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "node").write_text("#!/bin/sh\nexit 1\n")
    (fake / "node").chmod(0o755)

    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    done = make(tmp_path, ".venv/bin/npm", "NODE_VERSION=99.0.0", env=env)
    assert done.returncode != 0
    assert "error: no Node.js >= 18 on PATH, and nodeenv could not download one." in done.stderr
    assert "apt-get install nodejs" in done.stderr and "nodejs.org" in done.stderr
    assert not (venv_bin / "node").exists()


def fake_project(tmp_path: Path) -> Path:
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_a_python_older_than_the_floor_is_named_before_any_venv(tmp_path: Path):
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\necho 3.9\n")  # answers the version question as Python 3.9 would
    fake.chmod(0o755)
    done = make(fake_project(tmp_path), ".venv/.installed", f"PYTHON={fake}")
    assert done.returncode != 0
    floor = re.search(r'requires-python = ">=([0-9.]+)', (ROOT / "pyproject.toml").read_text()).group(1)
    assert f"is Python 3.9; this project needs Python >= {floor}" in done.stderr
    assert "make PYTHON=python3.X" in done.stderr
    assert not (tmp_path / ".venv").exists()


def test_no_python_is_named(tmp_path: Path):
    done = make(fake_project(tmp_path), ".venv/.installed", "PYTHON=no-such-python3")
    assert done.returncode != 0
    assert "error: no 'no-such-python3' on PATH: install Python >=" in done.stderr and "apt-get install" in done.stderr


def test_an_unreachable_pypi_is_named(tmp_path: Path):
    # A real venv, then pip against a closed loopback port, with no local wheels or config.
    env = dict(os.environ, PIP_INDEX_URL="http://127.0.0.1:9/simple", PIP_RETRIES="0", PIP_CONFIG_FILE=os.devnull,
               PIP_FIND_LINKS="", PIP_NO_CACHE_DIR="1")
    done = make(fake_project(tmp_path), ".venv/.installed", f"PYTHON={sys.executable}", env=env)
    assert done.returncode != 0
    assert "error: installing the slides dependencies into .venv failed (see above): can this machine reach PyPI" in done.stderr
    assert not (tmp_path / ".venv" / ".installed").exists()
