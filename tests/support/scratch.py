"""Running the project's tools on scratch input (a deck, a partial copy of the project) from a test (a scratch
deck's blocks through the harness: tests/conftest.py's `run_deck`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from deck.paths import ROOT


def marp_build(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """tools.marp_build (marp-cli, whose warnings are errors) with these arguments."""
    return subprocess.run([sys.executable, "-m", "tools.marp_build", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env or dict(os.environ))


def make(folder: Path, *args: str, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess:
    """The project's Makefile, run in `folder` (a partial copy of the project)."""
    return subprocess.run(["make", "-f", str(ROOT / "Makefile"), *args], cwd=folder, capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=timeout)
