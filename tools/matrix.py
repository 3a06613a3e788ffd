"""Run the deck's blocks where the audience runs them: the other package name, and the floor version.

    python -m tools.matrix lightning   # make test-lightning-package
    python -m tools.matrix floor       # make test-floor

- ``lightning``: a copy of the deck with every ``pytorch_lightning`` rewritten to
  ``lightning.pytorch`` (``pip install pytorch-lightning`` to ``pip install lightning``), run
  where only the ``lightning`` package provides it, at the version ``.venv`` has of
  pytorch-lightning; ``pytorch_lightning`` must not import there (``lightning`` 2.6 declares
  ``pytorch-lightning`` as a dependency, so a reader's ``pip install lightning`` brings both). Then the test
  that mixing the two import styles is Lightning's TypeError (tests/tooling/test_import_styles.py), with
  ``.venv``'s ``pytorch_lightning`` put beside ``lightning``, as for a reader who installed both.
- ``floor``: the deck as it is, with exactly the floor ``pyproject.toml`` names for
  pytorch-lightning (its ``deck`` group: the one place the floor is written).

Each variant gets its own venv, ``.cache/matrix/NAME/venv``, holding only its Lightning package
(``--no-deps``, then ``pip check``). Everything else (torch, torchvision, pytest, ...) comes from
``.venv`` without a copy: a ``.pth`` file puts ``.cache/matrix/NAME/base`` on ``sys.path`` *after*
the venv's own site-packages, and ``base`` links every entry of ``.venv``'s site-packages except
the Lightning packages. So the variant's own packages win and the other Lightning is absent.
``base`` lies outside the venv, so pip never removes anything from ``.venv``.

The deck runs in a scratch copy of the project (``.cache/matrix/NAME/project``: the deck model,
the harness, the deck and ``snippets/`` generated from it), so nothing in the checkout changes and
the execution cache is not touched. Every block runs (``FRESH=1``); outputs must be the same.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

from deck.paths import CACHE, DATA, DECKS, HARNESS, ROOT, SLIDES, shown
from tools import snippets
from tools.generated import copy_project_files

MATRIX = CACHE / "matrix"
MAIN_SITE = Path(sysconfig.get_paths()["purelib"])  # .venv's: this module runs in .venv
LIGHTNING_ENTRIES = re.compile(r"^(pytorch_lightning|lightning_fabric|lightning)([-.].*)?$")


def floor() -> str:
    """The oldest pytorch-lightning the project supports, as pyproject.toml's `deck` group names it."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]
    for spec in groups["deck"]:
        if m := re.fullmatch(r"pytorch-lightning\s*>=\s*([0-9.]+)\s*(,.*)?", spec):
            return m.group(1)
    raise SystemExit("error: pyproject.toml's deck group names no `pytorch-lightning>=X` floor")


def to_lightning_package(text: str) -> str:
    """The deck as the official docs write it: `lightning.pytorch`, installed as `lightning`."""
    text = re.sub(r"\bpytorch_lightning\b", "lightning.pytorch", text)
    # The package on install lines (pip/uv/poetry), not the repository in URLs.
    return re.sub(r"(?<![\w/.-])pytorch-lightning(?=[<>=!~\"'\s]|$)", "lightning", text, flags=re.M)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(map(str, cmd)), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def make_venv(variant: Path, *requirements: str, hide: tuple[str, ...] = ()) -> Path:
    """A venv with only `requirements` of its own, the rest of .venv linked in behind it; the
    import packages in `hide` are removed again (their metadata stays, so pip counts them)."""
    requirement = " ".join(requirements + tuple(f"-{name}" for name in hide))
    venv, base = variant / "venv", variant / "base"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.is_file() and stamp.read_text() == requirement:
        return python
    shutil.rmtree(variant, ignore_errors=True)
    base.mkdir(parents=True)
    for entry in MAIN_SITE.iterdir():
        if not LIGHTNING_ENTRIES.match(entry.name) and entry.suffix != ".pth":
            (base / entry.name).symlink_to(entry)
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    run([python, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
    # ensurepip's old setuptools would shadow .venv's (torch asks for a newer one): use .venv's.
    run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "setuptools"])
    site = site_packages(python)
    (site / "zz-matrix-base.pth").write_text(f"{base}\n")  # after the venv's own site-packages
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", *requirements])
    run([python, "-m", "pip", "check", "--disable-pip-version-check"])
    for name in hide:
        shutil.rmtree(site / name)
    # torch comes through the .pth, its console scripts do not: the deck's `torchrun` must start
    # this venv's Python, not .venv's (which has no `lightning`).
    torchrun = venv / "bin" / "torchrun"
    torchrun.write_text(f"#!{python}\nimport sys\nfrom torch.distributed.run import main\nsys.exit(main())\n")
    torchrun.chmod(0o755)
    stamp.write_text(requirement)
    return python


def scratch_project(variant: Path, rewrite) -> Path:
    """The harness, the deck (rewritten) and snippets/ generated from it; data linked."""
    project = variant / "project"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    copy_project_files(HARNESS, ROOT, project)
    # The figures' records (a figure block's numbers are compared with them) and the fonts they are drawn in.
    shutil.copytree(SLIDES / "figures", project / "slides" / "figures")
    (project / "node_modules").symlink_to((ROOT / "node_modules").resolve(), target_is_directory=True)
    decks = []
    for path in DECKS:
        decks.append(project / "slides" / path.name)
        decks[-1].write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    (project / "snippets").mkdir()
    for name, text in snippets.files(decks).items():
        (project / "snippets" / name).write_text(text, encoding="utf-8")
    (project / "data").symlink_to(DATA.resolve(), target_is_directory=True)
    return project


def site_packages(python: Path) -> Path:
    """The site-packages folder of the venv whose interpreter is `python`."""
    return Path(subprocess.check_output([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())


def run_deck(python: Path, project: Path) -> None:
    env = dict(os.environ, FRESH="1", PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    run([python, "-m", "pytest", "-p", "no:cacheprovider", "slides"], cwd=project, env=env)


def check_torch_untouched(python: Path) -> None:
    """The install block ran in this venv with torch already there (as on Colab): it must not
    have installed a torch of its own."""
    own = {p.name for p in site_packages(python).iterdir() if re.match(r"^(torch|torchvision)([-.]|$)", p.name)}
    if own:
        raise SystemExit(f"error: the deck's install block installed {sorted(own)} beside an existing torch")


def lightning() -> None:
    version = metadata.version("pytorch-lightning")
    variant = MATRIX / "lightning"
    # `lightning` 2.6 declares `pytorch-lightning` as a dependency, though lightning.pytorch never
    # imports it: installed for pip (the deck's install block finds it satisfied), its code removed.
    python = make_venv(variant, f"lightning=={version}", f"pytorch-lightning=={version}",
                       hide=("pytorch_lightning", "lightning_fabric"))
    code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('pytorch_lightning') is None)"
    if subprocess.run([str(python), "-c", code]).returncode == 0:
        raise SystemExit("error: pytorch_lightning imports in the lightning-package venv: the run would prove nothing")
    # No pytorch_lightning is left in the rewritten deck: tests/deck/test_versions.py.
    run_deck(python, scratch_project(variant, to_lightning_package))
    check_torch_untouched(python)
    # A reader with both packages: .venv's pytorch_lightning (same version) beside lightning.
    both = variant / "both"
    shutil.rmtree(both, ignore_errors=True)
    both.mkdir()
    for name in ("pytorch_lightning", "lightning_fabric"):
        (both / name).symlink_to(MAIN_SITE / name)
    env = dict(os.environ, PYTHONPATH=str(both))
    run([python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests/tooling/test_import_styles.py"], cwd=ROOT, env=env)
    print(f"lightning package: the deck under lightning.pytorch with lightning=={version} passed; "
          "mixing the two import styles is Lightning's TypeError")


def floor_run() -> None:
    version = floor()
    variant = MATRIX / "floor"
    python = make_venv(variant, f"pytorch-lightning=={version}")
    found = subprocess.check_output([str(python), "-c", "import pytorch_lightning as pl; print(pl.__version__)"],
                                    text=True).strip()
    if found != version:
        raise SystemExit(f"error: the floor venv imports pytorch_lightning {found}, not {version}")
    run_deck(python, scratch_project(variant, lambda text: text))
    check_torch_untouched(python)
    print(f"floor: the deck passed with pytorch-lightning=={version} (the floor in pyproject.toml)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variant", choices=["lightning", "floor"])
    args = parser.parse_args()
    try:
        lightning() if args.variant == "lightning" else floor_run()
    except subprocess.CalledProcessError as e:
        print(f"error: {args.variant}: `{' '.join(map(str, e.cmd))}` failed (exit {e.returncode}); "
              f"scratch files in {shown(MATRIX / args.variant)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
