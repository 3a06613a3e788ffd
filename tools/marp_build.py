"""Run marp-cli on a deck and fail on what it only warns about.

marp-cli exits 0 when it blocks a local file, prints its usage for a misplaced argument, or
meets a theme it does not know (it silently falls back to the default). For a build that users
trust, each of these is an error here, with a one-line cause and a remedy. Options live in
``marp.config.mjs``; this wrapper adds none of its own.

    python -m tools.marp_build slides/pytorch-lightning.md -o build/pytorch-lightning.html
    python -m tools.marp_build slides/pytorch-lightning.md --pdf -o build/pytorch-lightning.pdf
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import deck
from deck.paths import BUILD, ROOT, SLIDES

MARP = ROOT / "node_modules" / ".bin" / "marp"
CONFIG = ROOT / "marp.config.mjs"
THEME_DIRS = [SLIDES / "themes", BUILD / "themes"]  # as themeSet in marp.config.mjs
BUILTIN_THEMES = {"default", "gaia", "uncover"}
NO_BROWSER = re.compile(r"No suitable browser|ERR_LAUNCHER|Failed to launch|install Google Chrome", re.I)
BROWSER_REMEDY = (
    "PDF, PPTX and images need a browser: install one (Debian/Ubuntu, also in WSL: `apt-get install chromium`; "
    "macOS: `brew install --cask google-chrome`) or point CHROME_PATH at a Chrome/Chromium/Edge executable. "
    "The HTML needs none."
)

BROWSERS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge"]


def find_browser() -> str | None:
    """The browser as marp-cli finds it: CHROME_PATH first, then a Chrome/Chromium/Edge on PATH."""
    return os.environ.get("CHROME_PATH") or next(filter(None, map(shutil.which, BROWSERS)), None)


def theme_names() -> set[str]:
    names = set(BUILTIN_THEMES)
    for folder in THEME_DIRS:
        for css in folder.glob("*.css"):
            if m := re.search(r"@theme\s+([\w-]+)", css.read_text(encoding="utf-8")):
                names.add(m.group(1))
    return names


def problems_in_output(output: str) -> list[str]:
    """Lines where marp-cli warned, failed, or printed its usage instead of converting."""
    found = [line.strip() for line in output.splitlines() if re.match(r"\[\s*(WARN|ERROR)\s*\]", line.strip())]
    if re.search(r"^Usage:", output, re.M):
        found.append("marp-cli printed its usage: the arguments are wrong")
    return found


MARP_LOG = re.compile(r"^\[\s*(INFO|WARN|ERROR)\s*\]")
NODE_ERROR = re.compile(r"^\w*Error: ")
LONGEST = 300  # characters of one line shown; minified source lines are thousands


def marp_log(output: str) -> list[str]:
    """What of marp-cli's output a person should read: its own log lines (``[  INFO ]`` and the
    indented lines that continue them) and the message of an error Node reports; not the
    minified source line and the stack Node prints when marp-cli crashes (a misuse is named
    by `problems_in_output`)."""
    shown_lines, inside = [], False
    for line in output.splitlines():
        if MARP_LOG.match(line) or NODE_ERROR.match(line):
            inside = True
        elif not (line.startswith(" " * 10) and line.strip()):
            inside = False
        if inside:
            shown_lines.append(line if len(line) <= LONGEST else line[:LONGEST] + " …")
    return shown_lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    decks = [Path(a) for a in args if a.endswith(".md")]
    known = theme_names()
    for path in decks:
        theme = deck.load(path).front_matter.get("theme")
        if theme and theme not in known:
            print(f"error: {path}: unknown theme '{theme}' (known: {', '.join(sorted(known))}). "
                  "Fix the front matter, or add the theme under slides/themes/.", file=sys.stderr)
            return 1
    if not MARP.exists():
        print(f"error: {MARP} is missing: run `make slides` (it installs Node and marp-cli) or `npm ci`.",
              file=sys.stderr)
        return 1
    if shutil.which("node") is None:
        print("error: Node.js is not on PATH: run `make slides` (it puts Node into .venv with nodeenv) "
              "or install Node.js >= 18.", file=sys.stderr)
        return 1
    # The caller's working directory, so that relative paths in `args` mean what they say.
    done = subprocess.run([str(MARP), "--config-file", str(CONFIG), *args], capture_output=True, text=True)
    output = done.stdout + done.stderr
    if NO_BROWSER.search(output):  # one line: the cause and the remedy, nothing of marp-cli's crash
        print(f"error: marp-cli could not find or start a browser. {BROWSER_REMEDY}", file=sys.stderr)
        return 1
    for line in marp_log(output):
        print(line, file=sys.stderr)
    found = problems_in_output(output)
    if done.returncode != 0 or found:
        print(f"error: marp-cli {'failed' if done.returncode else 'warned'} "
              f"(exit {done.returncode}); warnings count as errors here:", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
