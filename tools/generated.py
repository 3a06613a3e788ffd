"""Files this project generates (snippets, notebook, fonts, the 性能 slide, MNIST): written
atomically, and compared with what is committed as a unified diff."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; these files are for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def unified_diff(actual: str, expected: str, name: str, source: str = "the deck") -> str:
    """From the file as it is to what `source` says it should be; empty when they agree."""
    lines = difflib.unified_diff(actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                                 fromfile=name, tofile=f"{name} (from {source})")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def copy_project_files(names: list[str], root: Path, into: Path) -> None:
    """Copy files and folders of the project (no __pycache__) into a scratch folder, mtimes kept."""
    for name in names:
        source = root / name
        (into / name).parent.mkdir(parents=True, exist_ok=True)  # tests/conftest.py
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)
