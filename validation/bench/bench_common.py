"""Helpers shared by the benchmark scripts of validation/bench/ (run.py, apply_bench.py,
memory_bench.py): the input file's name and creation, the machine, the load, statistics
and running a command that prints one JSON line.

Standard library only at import time, so run.py can import it before the virtual
environment exists; the functions that write or check ROOT files import numpy and
uproot (through read_bench.py) when called.
"""

import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TREE = "t"
BRANCHES = 30
CHUNK = 100_000  # entries per uproot extend call, so per basket


def fail(script, msg):
    print(f"{script}: error: {msg}", file=sys.stderr)
    sys.exit(2)


def bench_file(workdir, entries, branches=BRANCHES, chunk=CHUNK):
    """The path read_bench.py uses for a file of these dimensions (so they share it)."""
    return Path(workdir) / f"bench-{entries}x{branches}-chunk{chunk}-zlib1.root"


def ensure_file(workdir, entries, branches=BRANCHES, chunk=CHUNK):
    """Return the benchmark file of `entries` x `branches`, writing it (with read_bench.py's
    generator, chunk by chunk, so memory stays small) unless a correct one is there."""
    sys.path.insert(0, str(HERE))
    import read_bench  # noqa: E402 (needs numpy and uproot when its functions run)

    path = bench_file(workdir, entries, branches, chunk)
    if path.exists() and read_bench.describe_file(path, entries, branches) is not None:
        return path
    if path.exists():
        print(f"{path} is not a {entries} x {branches} file; writing it again", flush=True)
    print(f"writing {path} ({entries:,} x {branches} float32, zlib 1) ...", flush=True)
    read_bench.make_file(path, entries, branches, chunk)
    return path


def loadavg():
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except (OSError, ValueError):
        return None


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024**2, 1)  # kB -> GiB
    except (OSError, ValueError):
        pass
    return {"cpu": cpu_model(), "cpus": cpus, "memory_gib": mem,
            "platform": platform.platform()}


def summary(values):
    """Median, min and max of a list of numbers."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _run(cmd, script, what, env=None, cwd=None):
    """Run `cmd` capturing its output; return (process, wall seconds). A command that
    cannot start or exits non-zero stops the script (exit 2) with its stderr."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                              cwd=cwd)
    except OSError as e:
        fail(script, f"{what}: cannot run {shlex.join(map(str, cmd))}: {e}")
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        fail(script, f"{what} failed (exit {proc.returncode}): {shlex.join(map(str, cmd))}\n"
                     f"{proc.stderr.strip()[-3000:]}")
    return proc, wall


def run_json(cmd, script, what, env=None, cwd=None):
    """Run `cmd`; its last non-empty stdout line must be a JSON object, returned with the
    process's wall time added as `process_seconds`. A failure stops the script (exit 2)."""
    proc, wall = _run(cmd, script, what, env=env, cwd=cwd)
    lines = [l for l in proc.stdout.splitlines() if l.strip()]
    try:
        out = json.loads(lines[-1])
        if not isinstance(out, dict):
            raise ValueError("not an object")
    except (IndexError, ValueError) as e:
        fail(script, f"{what}: expected a JSON line on stdout, got "
                     f"{proc.stdout.strip()[-500:]!r} ({e})")
    out["process_seconds"] = wall
    return out


def run_timed(cmd, script, what, env=None):
    """Run `cmd` (its output discarded unless it fails); return its wall time in seconds."""
    return _run(cmd, script, what, env=env)[1]


def save_json(path, result):
    """Write `result` to `path` (folders made as needed) and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"saved {path}")
