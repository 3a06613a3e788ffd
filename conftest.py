"""Run the deck's code blocks the way a reader would, report failures by slide, and skip what is proven.

pytest-codeblocks collects every ```python/```sh/```bash block of ``slides/*.md``. This file
- runs python blocks with ``__name__ == "__main__"``, as ``python block.py`` would, and module
  blocks (``# litmodule.py``) under their module name, as ``import litmodule`` would;
- puts this interpreter's ``bin/`` first on PATH, so ``pip``/``python`` in sh blocks are the venv's;
- runs the blocks in one scratch folder (Lightning writes ``lightning_logs/`` into the working
  directory) that holds a ``data`` link to the staged MNIST and the deck's modules as files
  (``train.py``, ``litmodule.py``, ...), as the reader's folder would, so a shell block can run
  ``torchrun train.py``; nothing lands in the source tree;
- puts ``tools/rehearsal/`` on PATH, so the multi-node rehearsal's ``source two_nodes.sh`` finds it, and
  the SLURM slides' ``source slurm_cluster.sh``; where that cluster cannot start (no root, no network
  namespaces, no cgroup mount, no Slurm packages), those blocks are skipped with the script's reason;
- checks the staged MNIST once before the first block, naming any bad file and ``make data``;
- prefixes a failing block's report with its slide number, title and the deck line that failed;
- does not re-run a block whose inputs are unchanged since its last green run (tools/run_cache.py),
  and reports it as "cached", never as passed; ``CI=true`` or ``FRESH=1`` runs everything;
- likewise for the tooling tests (tests/): one is cached while no project file but the deck (and
  what is made from it) changed; one marked ``reads_deck`` always runs, and an unmarked one that
  reads the deck fails (tools/deck_reads.py), so a prose edit re-runs exactly the tests that read it;
- with ``--update-outputs`` (``make outputs``), rewrites each expected output that differs from
  the real one and prints the diff;
- draws figures in the deck's style and checks what each ``savefig`` plots against its record;
  with ``--update-figures`` (``make figures``), keeps them in ``slides/figures/`` (tools/figures.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest
import pytest_codeblocks.plugin
from pytest_codeblocks.plugin import TestBlock

import deck
from deck.model import MODULE_HEADER
from deck.paths import DATA, ROOT, shown
from tools import deck_reads, figures, mnist_data, outputs, run_cache, snippets

REHEARSAL = ROOT / "tools" / "rehearsal"  # two_nodes.sh and slurm_cluster.sh, which the cluster blocks source
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(REHEARSAL), os.environ.get("PATH", "")])
os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")


def _exec_as_script(code: str, namespace: dict) -> None:
    """Run a block as a reader runs it: as a script, where `if __name__ == "__main__":` holds; a
    module block (``# train.py``) as its import would, under its own name, so a module's guarded
    part (``LightningCLI`` in ``train.py``) runs only where a later block runs the file.
    pytest-codeblocks 0.18 execs without `__name__`, which then means "builtins"."""
    header = MODULE_HEADER.match(code.split("\n", 1)[0])
    namespace.setdefault("__name__", header.group(1).removesuffix(".py") if header else "__main__")
    exec(code, namespace)


pytest_codeblocks.plugin.exec = _exec_as_script  # the plugin's only call to exec


# `make test` runs two pytest-xdist workers. The deck's blocks run in order on one of them, with the
# rehearsal tests (both make the network namespaces of two_nodes.sh and slurm_cluster.sh); every other test is a
# unit of its own.
ONE_UNIT = ("slides/", "tests/test_cluster_rehearsal.py", "tests/test_slurm_cluster.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class DeckInOrder(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "deck" if nodeid.startswith(ONE_UNIT) else nodeid

    return DeckInOrder(config, log)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-outputs", action="store_true",
                     help="rewrite every expected output in the deck that differs from the real one (make outputs)")
    parser.addoption("--update-figures", action="store_true",
                     help="keep every figure the deck's blocks save in slides/figures/, with its record (make figures)")


_CACHE = pytest.StashKey[run_cache.RunCache]()
_KEY = pytest.StashKey[str | None]()
_CACHED = pytest.StashKey[bool]()
_READS = pytest.StashKey[set[str]]()  # deck files a tooling test read while it ran
_module_reads: dict[Path, set[str]] = {}  # deck files each test module read when imported
TESTS = ROOT / "tests"
_saved: list[tuple[Path, dict]] = []  # (file, what it plots) for each savefig of the running block


def _capture_figures() -> None:
    """Draw in the deck's style, and note what every savefig of a block plots (tools/figures.py)."""
    from matplotlib.figure import Figure

    if getattr(Figure.savefig, "captured", False):
        return
    try:
        figures.use_deck_style()
    except FileNotFoundError as e:  # the deck's font comes from node_modules: one line, not one per block
        pytest.exit(f"error: {e}", 2)
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        original(self, fname, *args, **kwargs)
        if isinstance(fname, (str, os.PathLike)):  # a file a block made; not a buffer (bench/chart.py)
            _saved.append((Path(fname).resolve(), figures.plotted(self)))

    savefig.captured = True
    Figure.savefig = savefig


def pytest_configure(config: pytest.Config) -> None:
    # A deck block hands a torch tensor to imshow; numpy 2 asks torch's __array__ for a copy= it
    # lacks and falls back. Readers never see it (a DeprecationWarning inside matplotlib).
    config.addinivalue_line("filterwarnings",
                            "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


def _block(item: TestBlock) -> deck.Block | None:
    return next((b for b in deck.load(Path(item.path)).blocks if b.line == item.obj.lineno), None)


def _is_tooling_test(item: pytest.Item) -> bool:
    return not isinstance(item, TestBlock) and Path(item.path).is_relative_to(TESTS)


def _skip_as_cached(item: pytest.Item) -> None:
    """Proven by an earlier green run with these very inputs: neither its fixtures nor the test run."""
    item.setup = item.runtest = lambda: None
    item.stash[_CACHED] = True


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    fresh = run_cache.fresh() or config.getoption("update_outputs") or config.getoption("update_figures")
    cache = config.stash.setdefault(_CACHE, run_cache.RunCache.load())
    for item in filter(_is_tooling_test, items):
        if item.get_closest_marker("reads_deck"):
            continue
        item.stash[_KEY] = key = cache.key_of("tooling", item.nodeid, run_cache.project())
        if not fresh and cache.has(key):
            _skip_as_cached(item)
    blocks = [item for item in items if isinstance(item, TestBlock)]
    if not blocks:
        return
    bad = mnist_data.problems(DATA)
    if bad:
        pytest.exit("MNIST is not staged correctly:\n" + "\n".join(bad) + "\nRepair with: make data", 1)
    pip = shutil.which("pip")  # what the deck's install block runs (this venv's bin/ is first on PATH)
    if pip is None or Path(pip).parent != Path(sys.executable).parent:
        pytest.exit(f"error: this venv ({Path(sys.executable).parent.parent}) has no pip, so the deck's install block "
                    f"would run {pip or 'no pip at all'} and install into another Python (a uv venv has none): "
                    f"uv pip install --python {sys.executable} pip", 2)
    for item in blocks:
        try:
            block = _block(item)
        except deck.DeckError as e:
            pytest.exit(f"error: {e}", 2)
        item.stash[_KEY] = key = cache.key(block) if block else None
        if not fresh and key and cache.has(key):
            _skip_as_cached(item)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    if not (isinstance(collector, pytest.Module) and collector.path.is_relative_to(TESTS)):
        yield
        return
    with deck_reads.watching() as seen:  # a test module that reads the deck when imported
        yield
    _module_reads[collector.path] = seen


def _watch_deck_reads(item: pytest.Item):
    if not _is_tooling_test(item) or item.stash.get(_CACHED, False):
        return contextlib.nullcontext(set())
    return deck_reads.watching()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    with _watch_deck_reads(item) as seen:
        yield
    item.stash.setdefault(_READS, set()).update(seen)


_workdir: dict[str, Path] = {}  # the scratch folder, made at the first block
_modules_written: set[Path] = set()  # decks whose modules are files in it


def _reader_folder(deck_path: Path) -> Path:
    """The scratch folder, as the reader's: MNIST under data/, and the deck's modules saved as files."""
    if "path" not in _workdir:
        _workdir["path"] = Path(tempfile.mkdtemp(prefix="deck-run-"))
        (_workdir["path"] / "data").symlink_to(DATA, target_is_directory=True)
    if deck_path not in _modules_written:
        for block in deck.load(deck_path).blocks:
            if block.is_module:
                (_workdir["path"] / block.name).write_text(block.file_text, encoding="utf-8")
        _modules_written.add(deck_path)
    return _workdir["path"]


def _slurm_why_not() -> str:
    """Why slurm_cluster.sh cannot start its cluster here (no root, namespaces, cgroup mount or packages), or ""."""
    done = subprocess.run(["bash", str(REHEARSAL / "slurm_cluster.sh"), "--why-not"], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    if not isinstance(item, TestBlock) or item.stash.get(_CACHED, False):
        with _watch_deck_reads(item) as seen:
            yield
        item.stash.setdefault(_READS, set()).update(seen)
        return
    if "source slurm_cluster.sh" in item.obj.code and (why := _slurm_why_not()):
        pytest.skip(f"no Slurm cluster on this machine: {why}")
    folder = _reader_folder(Path(item.path).resolve())
    if any(image.src.startswith(f"{figures.FOLDER}/") for s in deck.load(Path(item.path)).slides for image in s.images):
        _capture_figures()
    _saved.clear()
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _explain(block: deck.Block, error: BaseException) -> str:
    """Where in the deck the block failed, and the original error (pytest-codeblocks drops it)."""
    lines = [f"{block.where()}: this code block failed"]
    # The innermost frame that is deck code: this block itself, or a snippets/ module it imports.
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == "<string>":
            owner, line = block, block.deck_line(frame.lineno)
        elif owner := snippets.locate(frame.filename):
            line = owner.deck_line(frame.lineno, in_file=True)
        else:
            continue
        lines.append(f"{owner.deck.where(line)}: {owner.deck.line_text(line).strip()}")
        break
    lines += traceback.format_exception_only(type(error), error)
    if isinstance(error, subprocess.CalledProcessError):
        lines += [f"stdout:\n{error.stdout.decode(errors='replace')}", f"stderr:\n{error.stderr.decode(errors='replace')}"]
    return "\n".join(line.rstrip("\n") for line in lines)


@pytest.fixture
def proven(request: pytest.FixtureRequest):
    """For a test that runs something slow (the notebook): `if proven(*inputs): return` ends the
    test as "cached" when a green run had these very inputs (and the same environment)."""
    def check(*inputs: str) -> bool:
        cache = request.config.stash.setdefault(_CACHE, run_cache.RunCache.load())
        request.node.stash[_KEY] = key = cache.key_of(request.node.nodeid, *inputs)
        request.node.stash[_CACHED] = not run_cache.fresh() and cache.has(key)
        return request.node.stash[_CACHED]
    return check


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    if item.stash.get(_CACHED, False):
        report.deck_cached = True
        return
    read = sorted(item.stash.get(_READS, set()) | _module_reads.get(Path(item.path), set()))
    waived = item.get_closest_marker("reads_deck") or item.get_closest_marker("deck_as_sample")
    if report.passed and read and _is_tooling_test(item) and not waived:
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} read {', '.join(read)}, which a prose edit changes, but is not marked "
                           "reads_deck: its cached result would outlive such an edit. Mark it "
                           "(@pytest.mark.reads_deck, or pytestmark = pytest.mark.reads_deck for the module; "
                           "deck_as_sample if its verdict depends only on the deck's code).")
    block = _block(item) if isinstance(item, TestBlock) else None
    if report.passed and block and _saved:
        if item.config.getoption("update_figures"):
            report.sections.append(("figures", "\n".join(figures.keep(path, block, data) for path, data in _saved)))
        elif problems := [line for path, data in _saved for line in figures.compare(path.name, block, data)]:
            report.outcome, report.longrepr = "failed", "\n".join(problems)
    if report.passed and item.stash.get(_KEY, None):
        item.config.stash[_CACHE].add(item.stash[_KEY], item.nodeid)
    if not (report.failed and call.excinfo and block):
        return
    error = call.excinfo.value
    if item.config.getoption("update_outputs") and (actual := outputs.actual_output(block, error)) is not None:
        outputs.record(block, actual)
    original = error.__context__ if isinstance(error, RuntimeError) and error.__context__ else error
    report.longrepr = f"{_explain(block, original)}\n\n{report.longrepr}"


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config):
    if getattr(report, "deck_cached", False) and report.when == "call":
        return "cached", "c", ("CACHED", {"cyan": True})
    return None


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    cached = len(terminalreporter.stats.get("cached", []))
    if cached:
        terminalreporter.write_line(
            f"{cached} cached: not re-run, unchanged since their last green run with the same code, "
            f"versions and data ({shown(run_cache.CACHE_FILE)}; tests marked reads_deck always run). "
            "Run everything with FRESH=1 (CI does).")
    for line in outputs.apply():
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _CACHE in session.config.stash:
        session.config.stash[_CACHE].save()
    if "path" in _workdir:
        shutil.rmtree(_workdir.pop("path"), ignore_errors=True)
    _modules_written.clear()
