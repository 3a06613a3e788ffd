"""`make bench`: the deck's Lightning fit against the deck's plain PyTorch loop, on this machine.

- parity: the plain loop, the deck's default Trainer and a Trainer with five defaults off, on the
  deck's CNN and MNIST. The ratio is median ÷ median (what the table's times give); the ratios of
  the runs within one round show its noise.
- breakdown: a separate experiment on a linear model (bench/worker.py, ``--linear``) that removes
  one thing after another (a chain of arms); each part is one arm minus the next, within a round.

Every run is a fresh process; every round runs each arm once, in a shuffled order; the first
round warms up and is dropped. Writes results.json and results.md to --out and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from deck.paths import BUILD, ROOT

EXPERIMENTS = {  # name -> (arms, whether on the linear model)
    "parity": (("plain", "lightning", "bare"), False),
    "breakdown": (("lightning", "no progress bar", "bare", "bare, no self.log", "plain"), True),
}
PARTS = ("progress bar", "logger, checkpointing, model summary, sanity check", "self.log", "Trainer loop")
# glibc hands freed activation buffers back to the OS and faults them in again at random: measured
# here, a run did 0.9 M minor page faults instead of 0.06 M and lost ~2 s (15 %), in either arm.
# Fixed thresholds keep every run in the steady mode, so the comparison sees the frameworks.
STEADY_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def spawn(arm: str, steps: int, linear: bool, root_dir: str) -> dict:
    """One run of `arm` in a fresh process (bench/worker.py)."""
    cmd = [sys.executable, "-m", "bench.worker", arm, "--steps", str(steps), "--root-dir", root_dir]
    done = subprocess.run(cmd + ["--linear"] * linear, cwd=ROOT, capture_output=True, text=True,
                          env=os.environ | STEADY_MALLOC)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def interleaved(arms: tuple[str, ...], rounds: int, warmup: int, run, log) -> dict[str, list[dict]]:
    """Each arm once per round, in a shuffled order; the arms must end with the same loss."""
    order, runs = random.Random(0), {arm: [] for arm in arms}
    for i in range(warmup + rounds):
        for arm in order.sample(arms, len(arms)):
            runs[arm].append(run(arm))
            log(f"round {i + 1}/{warmup + rounds} {arm:18s} {runs[arm][-1]['seconds']:6.2f} s  "
                f"{runs[arm][-1]['ms_per_step']:6.2f} ms/step  loss {runs[arm][-1]['loss']:.6f}")
        losses = {arm: runs[arm][-1]["loss"] for arm in arms}
        if max(losses.values()) - min(losses.values()) > 1e-4:
            raise RuntimeError(f"round {i + 1}: the arms did not train the same model: {losses}")
    return {arm: r[warmup:] for arm, r in runs.items()}


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "mean": statistics.mean(values),
            "min": min(values), "max": max(values)}


def parity(runs: dict[str, list[dict]]) -> dict:
    def column(arm: str, key: str) -> list[float]:
        return [r[key] for r in runs[arm]]

    def arm(name: str) -> dict:
        seconds = column(name, "seconds")
        summary = {"seconds": spread(seconds), "runs": seconds, "peak_rss_mb": max(column(name, "peak_rss_mb")),
                   "loss": runs[name][-1]["loss"],
                   **{k: statistics.median(column(name, k)) for k in ("cpu_seconds", "ms_per_step", "page_faults")}}
        if name != "plain":
            summary["ratio"] = statistics.median(seconds) / statistics.median(column("plain", "seconds"))
            summary["pair_ratios"] = spread([b / a for a, b in zip(column("plain", "seconds"), seconds, strict=True)])
            summary["cpu_ratio"] = summary["cpu_seconds"] / statistics.median(column("plain", "cpu_seconds"))
        return summary

    return {"rounds": len(runs["plain"]), "arms": {name: arm(name) for name in runs}}


def breakdown(runs: dict[str, list[dict]]) -> dict:
    arms = EXPERIMENTS["breakdown"][0]

    def cost(slower: str, faster: str) -> dict:  # per step in ms (steady), per run in s (whole fit)
        return {key: spread([a[key] - b[key] for a, b in zip(runs[slower], runs[faster], strict=True)])
                for key in ("ms_per_step", "seconds")}

    return {"rounds": len(runs["plain"]),
            "plain_ms_per_step": statistics.median(r["ms_per_step"] for r in runs["plain"]),
            "parts": {part: cost(a, b) for part, a, b in zip(PARTS, arms[:-1], arms[1:], strict=True)},
            "total": cost(arms[0], arms[-1])}


def machine(run: dict) -> dict:
    """Where the figures come from; torch's threads and GPU as a worker saw them."""
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.is_file() else []
    return {"date": dt.date.today().isoformat(), "cpu": names[0] if names else platform.processor() or "unknown",
            "cores": os.cpu_count(), "torch_threads": run["torch_threads"], "gpu": run["gpu"],
            "python": platform.python_version(), "torch": metadata.version("torch"),
            "pytorch_lightning": metadata.version("pytorch-lightning")}


def report(results: dict) -> str:
    """The tables in Markdown, for notes and issues (the slide is bench/slide.py)."""
    m, p, b = results["machine"], results["parity"], results["breakdown"]
    arms = p["arms"]

    def row(label: str, cell, plain: str | None = None) -> str:  # plain: the plain column's text, if not cell's
        cells = (plain if plain and name == "plain" else cell(a) for name, a in arms.items())
        return f"| {label} | " + " | ".join(cells) + " |"

    def rng(s: dict, f: str = ".3f", sep: str = "–", centre: str = "median") -> str:
        return f"{s[centre]:{f}} ({s['min']:{f}}{sep}{s['max']:{f}})"

    lines = [f"Measured {m['date']}: {m['cpu']}, {m['cores']} cores ({m['torch_threads']} torch threads), "
             f"GPU: {m['gpu'] or 'none'}; Python {m['python']}, torch {m['torch']}, "
             f"pytorch-lightning {m['pytorch_lightning']}.", "",
             f"## Parity: {results['steps']} steps of batch 128 (+ validation after a complete epoch), "
             f"{p['rounds']} rounds", "",
             "| | plain PyTorch | Lightning (deck defaults) | Lightning (five defaults off) |",
             "| --- | ---: | ---: | ---: |",
             row("time, median (min–max)", lambda a: rng(a["seconds"], ".2f") + " s"),
             row("ratio: median ÷ plain median", lambda a: f"{a['ratio']:.3f}", "1"),
             row("ratio within a round, median (min–max)", lambda a: rng(a["pair_ratios"]), "1"),
             row("CPU time ratio (medians)", lambda a: f"{a['cpu_ratio']:.3f}", "1"),
             row("steady time per step, median", lambda a: f"{a['ms_per_step']:.2f} ms"),
             row("peak RSS", lambda a: f"{a['peak_rss_mb']:.0f} MB"),
             row("minor page faults, median", lambda a: f"{a['page_faults']:,.0f}"),
             row("final training loss", lambda a: f"{a['loss']:.6f}"),
             "", f"## Breakdown (separate experiment): the deck's LitModule around one linear layer, preloaded "
             f"images, 1 thread; {b['rounds']} rounds; each part is one arm minus the next within a round, averaged",
             "", "| part | per step, mean (min…max) | per run, mean (min…max) |", "| --- | ---: | ---: |"]
    for part, cost in [*b["parts"].items(), ("**all of Lightning with the deck's defaults**", b["total"])]:
        per_step, per_run = (rng(cost[key], "+.2f", "…", "mean") for key in ("ms_per_step", "seconds"))
        lines.append(f"| {part} | {per_step} ms | {per_run} s |")
    lines += ["", f"(plain loop: {b['plain_ms_per_step']:.2f} ms per step; a range across zero is within the noise)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, run=spawn) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=BUILD / "bench")
    parser.add_argument("--steps", type=int, default=430, help="training steps per run (430 = one epoch)")
    parser.add_argument("--rounds", type=int, default=8, help="parity rounds kept")
    parser.add_argument("--breakdown-rounds", type=int, default=7, help="breakdown rounds kept")
    parser.add_argument("--warmup-rounds", type=int, default=1, help="rounds run first and dropped")
    args = parser.parse_args(argv)
    if args.steps < 2 or min(args.rounds, args.breakdown_rounds) < 1:
        parser.error("--steps must be at least 2 and --rounds, --breakdown-rounds at least 1")

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:  # the Trainer's logs and checkpoints
        def experiment(name: str, rounds: int) -> dict[str, list[dict]]:
            arms, linear = EXPERIMENTS[name]
            return interleaved(arms, rounds, args.warmup_rounds, lambda arm: run(arm, args.steps, linear, tmp),
                               lambda message: print(f"{name}: {message}", file=sys.stderr, flush=True))

        parity_runs, breakdown_runs = experiment("parity", args.rounds), experiment("breakdown", args.breakdown_rounds)
    results = {"steps": args.steps, "warmup_rounds": args.warmup_rounds, "machine": machine(parity_runs["plain"][0]),
               "parity": parity(parity_runs), "breakdown": breakdown(breakdown_runs)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (args.out / "results.md").write_text(text := report(results))
    print(f"{text}\nwritten: {args.out}/results.json, results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
