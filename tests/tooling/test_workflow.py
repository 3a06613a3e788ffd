"""The GitHub Actions workflow, checked here where GitHub is not reachable: against .ci/run, the README,
pyproject.toml, the Makefile's `make site` and deck.paths.HARNESS, and by actionlint (tools/lint_workflows.py).

Each check is a function that returns its problems: every test runs it on the real files and on a
broken copy, so that it can be seen to fail.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from deck.paths import HARNESS, ROOT
from tools import site

WORKFLOW_TEXT = site.WORKFLOW.read_text(encoding="utf-8")
WORKFLOW = yaml.safe_load(WORKFLOW_TEXT)
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
README = site.README.read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
REQUIRES_PYTHON = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
TESTS = re.compile(r"\b(make\s+test|pytest|tools\.matrix)\b")
PUBLISH_IF = f"github.event_name == 'push' && github.ref == 'refs/heads/{site.BRANCH}'"


def steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(job, step) for job, spec in workflow["jobs"].items() for step in spec.get("steps", [])]


def uses(workflow: dict, action: str) -> list[dict]:
    return [step for _, step in steps(workflow) if step.get("uses", "").split("@")[0] == action]


# ---- the test command: .ci/run, the README's ------------------------------------------------------

def check_runs_ci_run(workflow: dict) -> list[str]:
    runs = [(job, step["run"].strip()) for job, step in steps(workflow) if "run" in step]
    problems = [f"job {job}: step `{run}` runs tests itself: put it in .ci/run, which the workflow runs"
                for job, run in runs if TESTS.search(run)]
    ci = [job for job, run in runs if run in ("bash .ci/run", ".ci/run")]
    if ci != ["test"]:
        problems.append(f"the `test` job, and only it, should run `bash .ci/run` (found in: {ci})")
    return problems


def test_the_workflow_tests_through_ci_run_only():
    assert check_runs_ci_run(WORKFLOW) == []
    broken = copy.deepcopy(WORKFLOW)
    broken["jobs"]["test"]["steps"].append({"run": "make test FRESH=1"})
    assert len(check_runs_ci_run(broken)) == 1
    broken["jobs"]["test"]["steps"] = [s for s in broken["jobs"]["test"]["steps"] if s.get("run") != "bash .ci/run"]
    assert len(check_runs_ci_run(broken)) == 2


def check_ci_run_runs(readme: str, ci_run: str) -> list[str]:
    usage = re.search(r"```console\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in usage.splitlines()]
    command = next(c for c in commands if c.startswith("make test"))
    ran = re.findall(r"^step (.+)$", ci_run, re.M)
    return [] if ran[:1] == [command] else [f".ci/run runs {ran} first; the README's test command is `{command}`"]


def test_ci_run_runs_the_readmes_test_command_first():
    assert check_ci_run_runs(README, CI_RUN) == []
    assert check_ci_run_runs(README, CI_RUN.replace("step make test\n", "step make check\n", 1))


# ---- Python: requires-python, both ends -----------------------------------------------------------

def check_pythons(workflow: dict, requires_python: str, readme: str) -> list[str]:
    job = workflow["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    pythons = [str(v) for v in matrix["python"]]
    spec, oldest = SpecifierSet(requires_python), re.match(r">=\s*(\d+\.\d+)", requires_python).group(1)
    problems = [f"the matrix's Python {v} is outside requires-python {requires_python}"
                for v in pythons if Version(v) not in spec]
    if oldest not in pythons:
        problems.append(f"the matrix {pythons} lacks the oldest Python that requires-python allows, {oldest}")
    if max(pythons, key=Version) == oldest:
        problems.append(f"the matrix {pythons} tests only the oldest Python: add the newest")
    if "--privileged" not in job["container"].get("options", ""):
        problems.append("the job's container is not --privileged: the cluster blocks need network namespaces")
    if not re.fullmatch(r"python:\$\{\{ matrix\.python \}\}-\w+", job["container"]["image"]):
        problems.append(f"the job's image {job['container']['image']!r} is not python:${{{{ matrix.python }}}}-DEBIAN")
    publishing = [str(i["python"]) for i in matrix.get("include", []) if i.get("publish")]
    if publishing != [oldest]:
        problems.append(f"the site should be built by the oldest Python's leg ({oldest}), not {publishing}")
    # The README's range is requires-python's: the floor and each excluded release, in both languages.
    excluded = re.findall(r"!=\s*([0-9.]+)", requires_python)
    ja = f"Python {oldest} 以上" + (f"（{'、'.join(excluded)} を除く）" if excluded else "")
    en = f"Python ≥ {oldest}" + (f" (not {', '.join(excluded)})" if excluded else "")
    problems += [f"the README does not say {said!r} (pyproject: requires-python = {requires_python!r})"
                 for said in (ja, en) if said not in readme]
    return problems


def test_the_workflow_runs_pyprojects_python_range():
    assert check_pythons(WORKFLOW, REQUIRES_PYTHON, README) == []
    assert check_pythons(WORKFLOW, REQUIRES_PYTHON.replace("3.11", "3.12"), README)  # a new floor: 3 problems
    assert check_pythons(WORKFLOW, REQUIRES_PYTHON + ",!=3.14.0", README)  # an exclusion the README lacks
    broken = copy.deepcopy(WORKFLOW)
    broken["jobs"]["test"]["strategy"]["matrix"]["python"] = ["3.10", "3.11", "3.14"]
    assert len(check_pythons(broken, REQUIRES_PYTHON, README)) == 1
    broken["jobs"]["test"]["container"]["options"] = "--shm-size=2g"
    assert len(check_pythons(broken, REQUIRES_PYTHON, README)) == 2


# ---- actions pinned, caches keyed ------------------------------------------------------------------

def check_pins(workflow_text: str) -> list[str]:
    lines = [line.strip() for line in workflow_text.splitlines() if re.match(r"\s*(- )?uses:", line)]
    return [f"not pinned to a commit with its version beside it: {line}" for line in lines
            if not re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line)]


def test_actions_are_pinned_to_commits_and_pages_uses_the_official_actions():
    assert check_pins(WORKFLOW_TEXT) == []
    assert check_pins(WORKFLOW_TEXT.replace("actions/checkout@", "actions/checkout@v7 # ", 1))
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert len(uses(WORKFLOW, action)) == 1, action


def check_caches(workflow: dict) -> list[str]:
    caches = {step["with"]["key"]: step["with"] for step in uses(workflow, "actions/cache")}
    problems = []
    paths = [f"'{name}/**'" if (ROOT / name).is_dir() else f"'{name}'" for name in HARNESS]
    harness = f"hashFiles({', '.join(paths)})"
    deck_cache = [w for w in caches.values() if w["path"].split()[0] == ".cache"]
    if len(deck_cache) != 1 or harness not in deck_cache[0]["key"]:
        problems.append(f"the .cache/ cache should be keyed on {harness} (deck.paths.HARNESS)")
    elif not {"!.cache/notebook", "!.cache/matrix"} <= set(deck_cache[0]["path"].split()):
        problems.append("the .cache/ cache should leave out the scratch venvs (.cache/notebook, .cache/matrix)")
    if not any("~/.cache/pip" in w["path"] and "hashFiles('pyproject.toml')" in w["key"] for w in caches.values()):
        problems.append("no pip cache keyed on pyproject.toml")
    node = uses(workflow, "actions/setup-node")
    if not node or node[0]["with"].get("cache") != "npm" or node[0]["with"].get("cache-dependency-path") != "package-lock.json":
        problems.append("setup-node should cache npm by package-lock.json")
    return problems


def test_caches_are_keyed_on_what_they_hold():
    assert check_caches(WORKFLOW) == []
    broken = copy.deepcopy(WORKFLOW)
    for step in uses(broken, "actions/cache"):
        step["with"]["key"] = step["with"]["key"].replace("'tools/**'", "'tools/*.py'")
    assert len(check_caches(broken)) == 1


# ---- what is published, from which branch ----------------------------------------------------------

def check_publishing(workflow: dict, makefile: str) -> list[str]:
    problems = []
    if site.BRANCH not in workflow[True]["push"]["branches"]:  # PyYAML reads `on:` as True
        problems.append(f"the workflow is not run on a push to {site.BRANCH}")
    deploy = workflow["jobs"]["deploy"]
    if deploy.get("if") != PUBLISH_IF or deploy.get("needs") != "test":
        problems.append(f"the deploy job should need `test` and run `if: {PUBLISH_IF}`")
    if not deploy["environment"]["url"].endswith(site.HTML_NAME):
        problems.append(f"the github-pages environment's url should open {site.HTML_NAME}")
    test_steps = workflow["jobs"]["test"]["steps"]
    make_site = [i for i, s in enumerate(test_steps) if s.get("run") == "make site"]
    upload = [i for i, s in enumerate(test_steps) if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    if len(make_site) != 1 or len(upload) != 1 or make_site[0] > upload[0]:
        problems.append("the test job should run `make site`, then upload-pages-artifact")
    else:
        for i in make_site + upload:
            if test_steps[i].get("if") != f"matrix.publish && {PUBLISH_IF}":
                problems.append(f"step {i} should run `if: matrix.publish && {PUBLISH_IF}`")
        target = re.search(r"^site: .*\n\t\$\(PY\) -m tools\.site (\S+)$", makefile, re.M)
        if not target or test_steps[upload[0]]["with"]["path"] != target.group(1):
            problems.append("upload-pages-artifact's path is not where `make site` writes")
    return problems


def test_the_workflow_publishes_what_make_site_writes_from_the_colab_branch():
    assert check_publishing(WORKFLOW, MAKEFILE) == []
    broken = copy.deepcopy(WORKFLOW)
    broken["jobs"]["deploy"]["if"] = PUBLISH_IF.replace(site.BRANCH, "master")
    assert len(check_publishing(broken, MAKEFILE)) == 1
    assert len(check_publishing(WORKFLOW, MAKEFILE.replace("tools.site build/site", "tools.site _site"))) == 1


# ---- the README's first screen ---------------------------------------------------------------------

def check_readme_links(readme: str) -> list[str]:
    block = site.readme_block(readme)
    if block is None:
        return [f"README.md has no links block ({site.BEGIN} ... {site.END}): `git checkout README.md`"]
    problems = []
    first_screen = readme.split("\n## ", 1)[0]
    if block not in first_screen or not readme.startswith("# "):
        problems.append("the links block should follow the README's title, before its first section")
    written_for = site.readme_repo(block)
    if not written_for or block != site.readme_links(written_for):
        problems.append("README.md's links block was edited by hand: edit the template in tools/site.py, "
                        "then `make readme-links`")
    # What they link is what is published.
    for name in site.PUBLISHED:
        if f"{site.pages_url(written_for or site.PLACEHOLDER)}{name})" not in block:
            problems.append(f"README.md's links do not name the published {name}")
    return problems


def test_the_readmes_first_screen_links_the_published_deck():
    assert check_readme_links(README) == []
    assert check_readme_links(README.replace("（GPU がなくても", "（GPU なしでも"))  # a hand edit


def test_a_forks_first_run_passes_and_warns_and_its_summary_says_what_ran(tmp_path: Path, monkeypatch):
    """A fork's first push: the README still names OWNER/REPO. The check passes; the run's summary warns (an
    annotation) with the fix, lists what ran and what was skipped, and links the fork's published deck."""
    monkeypatch.setenv("GITHUB_REPOSITORY", "lab/fork")
    monkeypatch.setenv("GITHUB_REF", f"refs/heads/{site.BRANCH}")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    placeholder = README.replace(site.readme_block(README), site.readme_links(site.PLACEHOLDER))
    monkeypatch.setattr(site, "README", tmp_path / "README.md")
    site.README.write_text(placeholder, encoding="utf-8")
    assert check_readme_links(placeholder) == []
    junit = tmp_path / "make-test.xml"
    junit.write_text('<testsuites><testsuite><testcase classname="slides.pytorch-lightning.md" name="line 40"/>'
                     '<testcase classname="tests.tooling.test_x" name="test_y"><skipped message="no munged"/>'
                     '</testcase></testsuite></testsuites>')
    page, warnings = site.summary(junit, site.this_repo())
    assert warnings == ["::warning file=README.md,title=README links::README.md's links are for OWNER/REPO, this "
                        "repository is lab/fork: `make readme-links REPO=lab/fork`, and commit README.md (the "
                        "published index page already links lab/fork)"]
    assert "| the deck's blocks (slides/) | 1 | 0 | 0 |" in page and "| tests/tooling | 0 | 0 | 1 |" in page
    assert "- skipped: `tests.tooling.test_x::test_y`: no munged" in page
    assert "Claims ledger:** " in page and " tested, " in page
    assert "**Published** by the deploy job: [the deck](https://lab.github.io/fork/pytorch-lightning.html)" in page
    assert site.readme_warning(site.readme_links("lab/fork"), "lab/fork") is None  # once it ran make readme-links
    assert "colab.research.google.com/github/lab/fork/" in site.index_page(site.this_repo())  # the right links


def test_links_are_made_from_the_repositorys_name():
    assert site.pages_url("Lab/deck") == "https://lab.github.io/deck/"
    assert site.pages_url("Lab/lab.github.io") == "https://lab.github.io/"  # a user site is served at the root
    assert site.colab_url("lab/deck") == (
        f"https://colab.research.google.com/github/lab/deck/blob/{site.BRANCH}/PyTorchLightningExampleOnMNIST.ipynb")


def test_this_repo_prefers_github_repository_then_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", "lab/deck")
    assert site.this_repo() == "lab/deck"
    monkeypatch.delenv("GITHUB_REPOSITORY")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setattr(site, "ROOT", tmp_path)
    assert site.this_repo() is None  # no remote: the README may keep OWNER/REPO
    for url, repo in [("https://github.com/lab/deck.git", "lab/deck"), ("git@github.com:lab/fork.git", "lab/fork"),
                      ("https://github.com/lab/deck", "lab/deck"), ("/srv/git/deck.git", None)]:
        subprocess.run(["git", "-C", str(tmp_path), "config", "remote.origin.url", url], check=True)
        assert site.this_repo() == repo, url


def test_make_readme_links_rewrites_only_the_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    monkeypatch.setattr(site, "README", readme)
    assert site.main(["readme", "lab/deck"]) == 0
    text = readme.read_text(encoding="utf-8")
    assert check_readme_links(text) == []
    assert text.replace(site.readme_block(text), site.readme_block(README)) == README
    assert site.main(["readme", "not a repo"]) == 1


# ---- actionlint ------------------------------------------------------------------------------------

def lint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.lint_workflows", *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True)


def test_actionlint_passes_the_workflow_and_fails_a_broken_one(tmp_path: Path):
    done = lint()
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "ci.yml"
    broken.write_text(WORKFLOW_TEXT.replace("matrix.publish &&", "matrix.publsh &&", 1), encoding="utf-8")
    done = lint(broken)
    assert done.returncode == 1
    assert re.search(r"ci\.yml:\d+:\d+: .*publsh.* \[expression\]", done.stdout), done.stdout
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: actionlint: 1 problem(s)"), done.stderr
