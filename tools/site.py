"""The published deck: what GitHub Pages serves, and the README's links to it.

The workflow (.github/workflows/ci.yml) publishes, on a push to main, the deck as `make slides`
builds it, its PDF and the notebook, with an index page: `make site` writes them to build/site/.
Every link is made from one repository name, OWNER/REPO, so a fork publishes its own:

- the site's index page takes it from GITHUB_REPOSITORY, which GitHub Actions sets;
- the README's first screen (between `<!-- links -->` and `<!-- /links -->`) is written by
  `make readme-links` for this clone's GitHub remote `origin` (or a name given on the command line).
  tests/tooling/test_workflow.py fails when it was edited by hand; while it names another repository than
  the one it runs in (a fork's first push), the run's summary warns, with the command that fixes it.

The run's summary page (`summary`, for $GITHUB_STEP_SUMMARY) says what ran: the deck's blocks, the tests
by folder, what was skipped and why, the claims ledger, and where the deck is published.

    python -m tools.site build/site            # the site (after make slides)
    python -m tools.site readme [OWNER/REPO]   # the README's links; default: origin's repository
    python -m tools.site summary JUNIT.xml     # the summary page (to $GITHUB_STEP_SUMMARY, else stdout)
"""

from __future__ import annotations

import html
import os
import platform
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from deck.paths import BUILD, DECKS, NOTEBOOK, ROOT, shown

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
README = ROOT / "README.md"
BRANCH = "main"  # the branch the workflow publishes from, and the one the Colab link opens
PLACEHOLDER = "OWNER/REPO"  # what the README names before the repository is known (no GitHub remote)
REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
GITHUB_REMOTE = re.compile(r"github\.com[:/]([^/\s]+/[^/\s]+?)(?:\.git)?/?$")
BEGIN = "<!-- links: written by `make readme-links` (tools/site.py); edit the template there -->"
END = "<!-- /links -->"

DECK = DECKS[0]
HTML_NAME = f"{DECK.stem}.html"
PDF_NAME = f"{DECK.stem}.pdf"
# The site's files: name on the site -> the file `make slides` or `make generate` made.
PUBLISHED = {HTML_NAME: BUILD / HTML_NAME, PDF_NAME: BUILD / PDF_NAME, NOTEBOOK.name: NOTEBOOK}


def pages_url(repo: str) -> str:
    """The site's address for OWNER/REPO: a project site, or the user site of a repo named OWNER.github.io."""
    owner, name = repo.split("/")
    host = f"{owner.lower()}.github.io"
    return f"https://{host}/" if name.lower() == host else f"https://{host}/{name}/"


def colab_url(repo: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/{NOTEBOOK.name}"


def readme_links(repo: str) -> str:
    """The README's first screen for OWNER/REPO: the CI badge, the deck, the PDF, the notebook in Colab."""
    site, actions = pages_url(repo), f"https://github.com/{repo}/actions/workflows/{WORKFLOW.name}"
    return "\n".join([
        BEGIN,
        f"[![CI]({actions}/badge.svg?branch={BRANCH})]({actions}?query=branch%3A{BRANCH})",
        "",
        f"- **スライド**：[{site}{HTML_NAME}]({site}{HTML_NAME})（スマートフォンでも開けます。"
        f"発表者ビューは [`?view=presenter`]({site}{HTML_NAME}?view=presenter)）",
        f"- **PDF**：[{PDF_NAME}]({site}{PDF_NAME})",
        f"- **ノートブック**：[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(repo)})（GPU がなくても CPU で動きます）・[ダウンロード]({site}{NOTEBOOK.name})",
        "",
        f"*The deck: [{site}{HTML_NAME}]({site}{HTML_NAME}) (presenter view: `?view=presenter`), "
        f"[the PDF]({site}{PDF_NAME}), [the notebook in Colab]({colab_url(repo)}). "
        f"Every push to `{BRANCH}` is tested and published by "
        f"[`.github/workflows/{WORKFLOW.name}`](.github/workflows/{WORKFLOW.name}).*",
        END,
    ])


def readme_block(text: str) -> str | None:
    """The links block as the README has it, or None."""
    start = text.find(BEGIN)
    end = text.find(END, start)
    return text[start:end + len(END)] if start >= 0 and end >= 0 else None


def readme_repo(block: str) -> str | None:
    """The OWNER/REPO the README's links are written for (read off its Colab link)."""
    found = re.search(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/", block)
    return found and found.group(1)


def readme_warning(readme: str, repo: str | None) -> str | None:
    """What to run when the README's links name another repository than this one (a fork's first push, while
    the README still names OWNER/REPO); None when they are this repository's, or it is not known."""
    written_for = readme_repo(readme_block(readme) or "")
    if not repo or not written_for or written_for == repo:
        return None
    return (f"README.md's links are for {written_for}, this repository is {repo}: `make readme-links REPO={repo}`, "
            f"and commit README.md (the published index page already links {repo})")


def this_repo() -> str | None:
    """The repository this clone is: GITHUB_REPOSITORY in GitHub Actions (the base repository in a pull
    request), else the GitHub repository of the remote `origin`; None when neither says."""
    if REPO.match(os.environ.get("GITHUB_REPOSITORY", "")):
        return os.environ["GITHUB_REPOSITORY"]
    try:
        url = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    found = GITHUB_REMOTE.search(url)
    return found.group(1) if found and REPO.match(found.group(1)) else None


def index_page(repo: str | None) -> str:
    """The site's front page: the links, in Japanese first, in the deck's font cut to the page's own
    characters and embedded (tools/fonts.py), so that it loads nothing and reads the same everywhere."""
    from tools import fonts  # fontTools and node_modules/@fontsource: only where the site is built

    title = "PyTorch Lightning 入門"
    links = [
        (HTML_NAME, "スライドを開く", "the deck"),
        (f"{HTML_NAME}?view=presenter", "発表者ビュー（ノート付き）", "presenter view, with the notes"),
        (PDF_NAME, "PDF", "the PDF"),
        (NOTEBOOK.name, "ノートブック（.ipynb）をダウンロード", "the notebook"),
    ]
    if repo:
        links.append((colab_url(repo), "ノートブックを Google Colab で開く", "Open in Colab"))
        links.append((f"https://github.com/{repo}", "GitHub のリポジトリ", "the repository"))
    items = "\n".join(f'<li><a href="{html.escape(href)}">{ja}</a> <span>/ {en}</span></li>'
                      for href, ja, en in links)
    body = f"<h1>{title}</h1>\n<ul>\n{items}\n</ul>"
    faces = fonts.font_theme({c for c in body if c.isprintable()})
    return f"""<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{faces}
body {{ font-family: 'Noto Sans JP', sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em; line-height: 1.7; }}
li {{ margin: 0.6em 0; font-size: 1.2em; }}
span {{ color: #666; font-size: 0.8em; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def build_site(out: Path, repo: str | None) -> list[Path]:
    """Write the site into `out` (made anew): the published files and index.html."""
    missing = [shown(path) for path in PUBLISHED.values() if not path.is_file()]
    if missing:
        raise SystemExit(f"error: {', '.join(missing)} missing: run `make slides` (and `make generate`) first")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, path in PUBLISHED.items():
        shutil.copyfile(path, out / name)
    (out / "index.html").write_text(index_page(repo), encoding="utf-8")
    return sorted(out.iterdir())


def summary(junit: Path, repo: str | None) -> tuple[str, list[str]]:
    """The run's summary page (Markdown) from `make test`'s JUnit report, and the run's warning annotations."""
    warnings = [w for w in [readme_warning(README.read_text(encoding="utf-8"), repo)] if w]
    lines = [f"### make test (Python {platform.python_version()})", ""]
    if not junit.is_file():
        lines.append(f"No {shown(junit)}: `make test` stopped before pytest ran (see the log of `.ci/run`).")
    else:
        counts: Counter = Counter()
        notes = []
        for case in ET.parse(junit).iter("testcase"):
            where = case.get("classname", "")
            part = "the deck's blocks (slides/)" if where.startswith("slides") else "/".join(where.split(".")[:2])
            found = next((child for child in case if child.tag in ("skipped", "failure", "error")), None)
            outcome = "passed" if found is None else "skipped" if found.tag == "skipped" else "failed"
            counts[part, outcome] += 1
            if found is not None:
                message = (found.get("message") or "").splitlines()[:1]
                notes.append(f"- {outcome}: `{where}::{case.get('name')}`: {' '.join(message)}")
        lines += ["| | passed | failed | skipped |", "| --- | --- | --- | --- |"]
        for part in sorted({part for part, _ in counts}):
            lines.append(f"| {part} | {counts[part, 'passed']} | {counts[part, 'failed']} | {counts[part, 'skipped']} |")
        lines += ["", *(notes or ["Nothing skipped, nothing failed."])]
    from tests.claims import ledger  # imports Lightning: only here

    lines += ["", "**Claims ledger:** " + ", ".join(f"{n} {kind}" for kind, n in ledger.counts().items())]
    if repo:
        site = pages_url(repo)
        on_main = os.environ.get("GITHUB_REF") == f"refs/heads/{BRANCH}" and os.environ.get("GITHUB_EVENT_NAME") == "push"
        lines += ["", f"**Published** {'by the deploy job' if on_main else f'on a push to {BRANCH} (not this run)'}: "
                      f"[the deck]({site}{HTML_NAME}), [the PDF]({site}{PDF_NAME}), "
                      f"[the notebook]({site}{NOTEBOOK.name}), [in Colab]({colab_url(repo)}), [the index]({site})"]
    lines += ["", *[f"> [!WARNING]\n> {w}" for w in warnings]]
    return "\n".join(lines) + "\n", [f"::warning file=README.md,title=README links::{w}" for w in warnings]


def main(argv: list[str]) -> int:
    if argv[:1] == ["readme"]:
        repo = argv[1] if len(argv) > 1 else this_repo()
        if not repo:
            print("error: this clone has no GitHub remote 'origin': name the repository, "
                  "make readme-links REPO=OWNER/REPO", file=sys.stderr)
            return 1
        if not REPO.match(repo):
            print(f"error: {repo!r} is not a GitHub repository name (OWNER/REPO)", file=sys.stderr)
            return 1
        text = README.read_text(encoding="utf-8")
        block = readme_block(text)
        if block is None:
            raise SystemExit(f"error: README.md has no links block ({BEGIN} ... {END}): put one back at its top")
        new = text.replace(block, readme_links(repo))
        if new != text:
            README.write_text(new, encoding="utf-8")
        print(f"README.md: links for {repo}{'' if new != text else ' (unchanged)'}: {pages_url(repo)}{HTML_NAME}")
        return 0
    if argv[:1] == ["summary"] and len(argv) == 2:
        page, annotations = summary(Path(argv[1]), this_repo())
        if target := os.environ.get("GITHUB_STEP_SUMMARY"):
            with open(target, "a", encoding="utf-8") as out:
                out.write(page)
        else:
            print(page)
        print(*annotations, sep="\n")
        return 0
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    repo = this_repo()
    for path in build_site(out, repo):
        print(f"{shown(path)}  {path.stat().st_size:,} bytes")
    if not repo:
        print("note: no GITHUB_REPOSITORY and no GitHub remote: the index page has no Colab link")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
