"""The harness's one patch of pytest-codeblocks still reaches what it patches (harness/blocks.py).

Upstream's own ``TestBlock.runtest`` runs here, on blocks made with upstream's ``CodeBlock``: if a new
pytest-codeblocks stops calling a module-level ``exec`` (a runner of its own, the call renamed) or sets
``__name__`` itself, the reader's ``__name__`` is lost or doubled and this test says where to look.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import pytest_codeblocks.plugin
from pytest_codeblocks.main import CodeBlock

from harness import blocks


def run_with_upstreams_runtest(code: str, printed: str) -> None:
    item = SimpleNamespace(obj=CodeBlock(code=code, lineno=1, syntax="python", expected_output=printed), name="probe")
    pytest_codeblocks.plugin.TestBlock.runtest(item)  # raises RuntimeError when the output differs


def test_pytest_codeblocks_runs_a_python_block_through_the_exec_the_harness_patches(monkeypatch):
    monkeypatch.setattr(pytest_codeblocks.plugin, "exec", blocks.exec_as_script, raising=False)
    try:
        run_with_upstreams_runtest('print(__name__)\n', "__main__\n")
        run_with_upstreams_runtest('# probe_module.py\nprint(__name__)\n', "probe_module\n")
    except RuntimeError as e:
        pytest.fail("pytest-codeblocks no longer runs a python block through a module-level `exec` that "
                    "harness/blocks.py's patch_pytest_codeblocks can replace (or it now sets __name__ itself): "
                    f"read its TestBlock.runtest and adapt the patch, or drop it.\n{e}")


def test_without_the_patch_a_block_would_not_run_as_a_script(monkeypatch):
    """Why the patch exists: upstream's namespace has no ``__name__`` (it then means "builtins"). The day
    this fails, upstream runs blocks as scripts itself: remove the patch."""
    monkeypatch.delattr(pytest_codeblocks.plugin, "exec", raising=False)
    with pytest.raises(RuntimeError, match="but got"):
        run_with_upstreams_runtest('print(__name__)\n', "__main__\n")
