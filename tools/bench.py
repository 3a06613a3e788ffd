"""`make bench`: Lightning's overhead and the deck's fit, measured side by side on this machine.

- Parity: the deck's LitModule under the deck's default ``pl.Trainer`` against the deck's plain
  PyTorch loop, same model, data, optimizer, seed and steps, interleaved (plain, Lightning, plain,
  ...), the first pair dropped as warm-up. Each run is a fresh process (tools/bench_worker.py).
- Defaults: what each default of the Trainer costs (progress bar, logger, checkpointing, model
  summary, sanity check), as the Lightning time with it minus the time without it.
- Fit: time to 98% test accuracy, samples/s, and where the time goes (SimpleProfiler).
- Build: `make html`, `make pdf` and a warm `make test`, wall times.

Writes results.json, results.md and parity.png to the output folder and prints the table.

    python -m tools.bench [--out build/bench] [--steps 430] [--repeats 4] [--skip-fit] [--skip-build]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {  # Trainer default -> the flag that turns it off
    "progress bar": "enable_progress_bar=False",
    "logger (CSV)": "logger=False",
    "checkpointing": "enable_checkpointing=False",
    "model summary": "enable_model_summary=False",
    "sanity check": "num_sanity_val_steps=0",
}


def machine(first_run: dict) -> dict:
    """Where the figures come from; torch's threads and GPU as a worker process saw them."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return {
        "date": dt.date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": first_run["torch_threads"],
        "gpu": first_run["gpu"],
        "python": platform.python_version(),
        "torch": metadata.version("torch"),
        "pytorch_lightning": metadata.version("pytorch-lightning"),
    }


def worker(workdir: Path, kind: str, steps: int, *flags: str) -> dict:
    cmd = [sys.executable, "-m", "tools.bench_worker", kind, "--steps", str(steps)]
    cmd += [arg for flag in flags for arg in ("--flag", flag)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(seconds: list[float]) -> dict:
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "runs": seconds}


def parity(workdir: Path, steps: int, repeats: int, log) -> tuple[dict, dict]:
    """The parity summary, and the first run's own result (it also says what torch saw)."""
    runs = {"plain": [], "lightning": []}
    for i in range(repeats):
        for kind in ("plain", "lightning"):
            result = worker(workdir, kind, steps)
            log(f"parity run {i + 1}/{repeats} {kind:9s} {result['seconds']:6.2f} s  loss {result['loss']:.6f}")
            runs[kind].append(result)
    kept = {k: v[1:] if len(v) > 1 else v for k, v in runs.items()}  # the first pair is warm-up
    plain = [r["seconds"] for r in kept["plain"]]
    light = [r["seconds"] for r in kept["lightning"]]
    ratios = [b / a for a, b in zip(plain, light, strict=True)]
    cpu_ratios = [b["cpu_seconds"] / a["cpu_seconds"] for a, b in zip(kept["plain"], kept["lightning"], strict=True)]
    return {
        "steps": steps,
        "plain": summary(plain) | {"peak_rss_mb": max(r["peak_rss_mb"] for r in kept["plain"])},
        "lightning": summary(light) | {"peak_rss_mb": max(r["peak_rss_mb"] for r in kept["lightning"])},
        "ratio": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)},
        "cpu_ratio": {"median": statistics.median(cpu_ratios), "min": min(cpu_ratios), "max": max(cpu_ratios)},
        "ratio_of_fastest": min(light) / min(plain),
        "overhead_ms_per_step": (statistics.median(light) - statistics.median(plain)) / steps * 1000,
        "final_loss": {"plain": kept["plain"][-1]["loss"], "lightning": kept["lightning"][-1]["loss"]},
        "losses_agree": all(abs(a["loss"] - b["loss"]) < 1e-4 for a, b in zip(kept["plain"], kept["lightning"], strict=True)),
        "warmup": {k: v[0]["seconds"] for k, v in runs.items()},
    }, runs["plain"][0]


def default_costs(workdir: Path, steps: int, repeats: int, with_all: float, log) -> dict:
    """Seconds each default costs: median(deck defaults) - median(the same without it)."""
    runs: dict[str, list[float]] = {name: [] for name in [*DEFAULTS, "all five off"]}
    for i in range(repeats):
        for name in runs:
            flags = DEFAULTS.values() if name == "all five off" else [DEFAULTS[name]]
            seconds = worker(workdir, "lightning", steps, *flags)["seconds"]
            log(f"defaults run {i + 1}/{repeats} without {name:14s} {seconds:6.2f} s")
            runs[name].append(seconds)
    return {name: {"without_seconds": statistics.median(s), "cost_seconds": with_all - statistics.median(s)}
            for name, s in runs.items()}


def build_times(log) -> dict:
    def timed(*cmd: str, remove: Path | None = None) -> float:
        if remove:
            remove.unlink(missing_ok=True)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        log(f"{' '.join(cmd):12s} {seconds:6.1f} s")
        return seconds

    subprocess.run(["make", "slides"], cwd=ROOT, check=True, capture_output=True)  # set-up done first
    return {
        "make html": timed("make", "html", remove=ROOT / "build" / "pytorch-lightning.html"),
        "make pdf": timed("make", "pdf", remove=ROOT / "build" / "pytorch-lightning.pdf"),
        "make slides (nothing to do)": timed("make", "slides"),
        "make test (warm)": timed("make", "test"),
    }


def markdown(results: dict) -> str:
    m, p = results["machine"], results["parity"]
    lines = [
        f"# Benchmark — {m['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores ({m['torch_threads']} torch threads), GPU: {m['gpu'] or 'none'}; "
        f"Python {m['python']}, torch {m['torch']}, pytorch-lightning {m['pytorch_lightning']}.",
        "",
        f"## Parity: {p['steps']} training steps of batch 128 (430 = one epoch of 55,000 images; "
        "a complete epoch is followed by validation, as in trainer.fit)",
        "",
        "| | plain PyTorch | Lightning (deck defaults) |",
        "| --- | ---: | ---: |",
        f"| time, median (min–max) | {p['plain']['median']:.2f} s ({p['plain']['min']:.2f}–{p['plain']['max']:.2f}) "
        f"| {p['lightning']['median']:.2f} s ({p['lightning']['min']:.2f}–{p['lightning']['max']:.2f}) |",
        f"| Lightning / plain, median (min–max) | 1 | {p['ratio']['median']:.3f} ({p['ratio']['min']:.3f}–{p['ratio']['max']:.3f}) |",
        f"| ratio of the fastest runs | 1 | {p['ratio_of_fastest']:.3f} |",
        f"| CPU-time ratio, median (min–max) | 1 | {p['cpu_ratio']['median']:.3f} ({p['cpu_ratio']['min']:.3f}–{p['cpu_ratio']['max']:.3f}) |",
        f"| overhead per step (median wall time) | | {p['overhead_ms_per_step']:.2f} ms |",
        f"| peak RSS | {p['plain']['peak_rss_mb']:.0f} MB | {p['lightning']['peak_rss_mb']:.0f} MB |",
        f"| final training loss | {p['final_loss']['plain']:.6f} | {p['final_loss']['lightning']:.6f} |",
        "",
        f"Runs kept: {len(p['plain']['runs'])} of each (first pair dropped as warm-up); losses agree: {p['losses_agree']}.",
    ]
    if results.get("defaults"):
        profiled = (results.get("fit") or {}).get("profiled_default_costs", {})
        lines += ["", f"## What each Trainer default costs ({p['steps']} steps)", "",
                  "A/B: median time of the deck's Trainer minus the median without that default (as noisy as the "
                  "runs above); profiler: the time SimpleProfiler measured in that default's own hooks during the fit.",
                  "", "| default | time without it | cost, A/B | cost, profiler |", "| --- | ---: | ---: | ---: |"]
        for name, d in results["defaults"].items():
            measured = f"{profiled[name]:.3f} s" if name in profiled else "–"
            lines.append(f"| {name} | {d['without_seconds']:.2f} s | {d['cost_seconds']:+.2f} s | {measured} |")
    if results.get("fit"):
        f = results["fit"]
        to98 = f"{f['seconds_to_98']:.1f} s" if f["seconds_to_98"] is not None else "not reached"
        lines += ["", "## The deck's fit", "", "| | |", "| --- | ---: |",
                  f"| time to 98% test accuracy (training clock) | {to98} |",
                  f"| samples/s | {f['samples'] / f['train_seconds']:.0f} |",
                  f"| final test accuracy | {f['curve'][-1]['test_acc']:.4f} |",
                  f"| data loading (SimpleProfiler) | {f['data_loading_seconds']:.1f} s |",
                  f"| compute: training + validation steps | {f['compute_seconds']:.1f} s |",
                  f"| fit wall time (without the accuracy probes) | {f['wall_seconds']:.1f} s |"]
    if results.get("build"):
        lines += ["", "## Build", "", "| command | wall time |", "| --- | ---: |"]
        lines += [f"| `{name}` | {s:.1f} s |" for name, s in results["build"].items()]
    return "\n".join(lines) + "\n"


def chart(results: dict, path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = results["parity"]
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=120)
    for kind, color in (("plain", "tab:blue"), ("lightning", "tab:purple")):
        runs = p[kind]["runs"]
        ax.plot(range(2, len(runs) + 2), runs, "o-", color=color, label=f"{kind} (median {p[kind]['median']:.2f} s)")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("run (interleaved; run 1 = warm-up, dropped)")
    ax.set_ylabel(f"seconds for {p['steps']} steps")
    ax.set_title(f"Lightning / plain = {p['ratio']['median']:.3f} (median) — {results['machine']['date']}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--steps", type=int, default=430, help="training steps per run (430 = one epoch)")
    parser.add_argument("--repeats", type=int, default=6, help="parity runs of each kind, warm-up included")
    parser.add_argument("--default-repeats", type=int, default=3, help="runs per Trainer default (0: skip)")
    parser.add_argument("--skip-fit", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)  # lightning_logs/ and checkpoints land here, not in the source tree
        (workdir / "data").symlink_to(ROOT / "data", target_is_directory=True)
        results["parity"], first_run = parity(workdir, args.steps, args.repeats, log)
        results["machine"] = machine(first_run)
        if args.default_repeats:
            with_all = results["parity"]["lightning"]["median"]
            results["defaults"] = default_costs(workdir, args.steps, args.default_repeats, with_all, log)
        if not args.skip_fit:
            results["fit"] = worker(workdir, "fit", args.steps)
    if not args.skip_build:
        results["build"] = build_times(log)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report = markdown(results)
    (args.out / "results.md").write_text(report)
    chart(results, args.out / "parity.png")
    print(report)
    print(f"written: {args.out}/results.json, results.md, parity.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
