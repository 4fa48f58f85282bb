"""Measure acr-edge as whole processes: wall time and peak RSS.

    python benchmarks/run.py                 # N = 1,000, 10,000 and 50,000
    python benchmarks/run.py --sizes 1000    # a quick run

Writes benchmarks/results.json and prints a table. Each figure is the median (and the range)
of --repeat runs (default 5; 1 for 50,000) of a fresh process, so start-up is included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_hierarchy import hierarchy  # noqa: E402


def run(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MB of the process and its workers, exit code)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {stderr}")
    if process.stderr:
        process.stderr.close()
    return wall, usage.ru_maxrss // 1024, process.returncode


def measure(
    command: list[str], env: dict[str, str], repeat: int, out: Path | None = None
) -> dict[str, float]:
    """Median (and range) of `repeat` runs. With `out`, each run writes a new folder beside
    it, as a CI job on a fresh checkout would: rewriting a folder just deleted is slower on
    this machine's ext4 (mounted with discard), which is not what the figure is about."""
    runs = []
    for attempt in range(repeat):
        argv = command
        if out is not None:
            argv = [part if part != str(out) else f"{out}-{attempt}" for part in command]
        runs.append(run(argv, env))
    walls = [r[0] for r in runs]
    return {
        "wall_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "wall_max_s": round(max(walls), 3),
        "peak_rss_mb": max(r[1] for r in runs),
        "runs": repeat,
    }


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    options = parser.parse_args()

    acr_edge = [sys.executable, "-m", "acr_edge_cli"]
    env = {**os.environ, "SYNC_PASSWORD": "not-a-real-secret", "NO_COLOR": "1"}
    results: dict[str, object] = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    rows: list[tuple[str, dict[str, float]]] = []
    # Output folders are removed only at the end: deleting thousands of files leaves this
    # machine's ext4 slower to create files for a while, which would skew the next figures.
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        rows.append(("acr-edge --version", measure([*acr_edge, "--version"], env, 5)))
        for size in options.sizes:
            source = root / f"fleet-{size}.yaml"
            source.write_text(hierarchy(size), encoding="utf-8")
            repeat = 1 if size >= 50000 else options.repeat
            out = root / f"out-{size}"
            generate = [*acr_edge, "generate", str(source), "-o", str(out)]
            rows.append((f"generate {size:,} devices", measure(generate, env, repeat, out)))
            validate = [*acr_edge, "validate", str(source)]
            rows.append((f"validate {size:,} devices (hierarchy)", measure(validate, env, repeat)))
            folder = [*acr_edge, "validate", f"{out}-0"]
            name = f"validate {size:,} devices (generated folder)"
            rows.append((name, measure(folder, env, repeat)))
            if size <= 10000:  # five files a device: 50,000 devices is a quarter million
                bundles = root / f"bundles-{size}"
                command = [*acr_edge, "bundle", str(source), "-o", str(bundles)]
                name = f"bundle {size:,} devices (certificates, config.toml, install.sh)"
                rows.append((name, measure(command, env, repeat, bundles)))
            if size == options.sizes[0]:
                manifest = next(Path(f"{out}-0").glob("layer-0/*/deployment.json"))
                single = root / "deployment.json"
                shutil.copy(manifest, single)
                rows.append(
                    ("validate one manifest", measure([*acr_edge, "validate", str(single)], env, 5))
                )
        # Last, as it deletes: generating again into an existing OUT replaces it, and the old
        # folder is deleted before the command returns.
        size = 10000 if 10000 in options.sizes else options.sizes[0]
        again = [*acr_edge, "generate", str(root / f"fleet-{size}.yaml"), "-o"]
        rows.append(
            (
                f"generate {size:,} devices into the previous OUT",
                measure([*again, str(root / f"out-{size}-0")], env, min(3, options.repeat)),
            )
        )
    results["results"] = {name: figures for name, figures in rows}
    options.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    width = max(len(name) for name, _ in rows)
    print(f"{'what':<{width}}  {'wall s':>8}  {'min-max s':>11}  {'peak RSS MB':>11}")
    for name, figures in rows:
        spread = f"{figures['wall_min_s']:.2f}-{figures['wall_max_s']:.2f}"
        wall, rss = figures["wall_s"], figures["peak_rss_mb"]
        print(f"{name:<{width}}  {wall:>8.2f}  {spread:>11}  {rss:>11}")
    print(f"\n{results['machine']}")


if __name__ == "__main__":
    main()
