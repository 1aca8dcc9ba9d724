#!/usr/bin/env python3
"""rootgrad's benchmark suite: one command, from a fresh clone, for every speed and memory
figure of docs/performance.md.

A benchmark, not a test: `cargo test` never runs it, and nothing asserts a time.

    python3 validation/bench/run.py [--python PATH] [--reps 3] [--quick] [--only PARTS]
                                    [--skip-big] [--workdir DIR]

1. Python peers: a virtual environment (validation/bench/.venv, git-ignored) with torch
   (CPU wheel index first, then PyPI), uproot and numpy, made once and reused; or
   --python PATH, an interpreter that already has them.
2. `cargo build --release` of the rootgrad binary and the examples `read_all` and
   `train_step`.
3. The input: read_bench.py's 2,000,000 x 30 float32 file (zlib 1) in --workdir, written
   once and reused (the 20,000,000-entry file of the memory part likewise).
4. The parts, each side by side with its peer in one run, alternating, --reps rounds:
   - train:  train_bench.py: a training step at B = 256, 1024, 4096, 65536 and one
             shuffled epoch of 2,000,000 events at B = 1024 against PyTorch (2 threads),
             and, when train_bench.py offers it, the epoch with the histogram loss
             (--hist-epoch);
   - read:   read_bench.py: reading the file against uproot; rntuple_bench.py: reading
             2M x 30 float RNTuple fields (zstd; files written by ROOT 6.40 and by
             uproot) against uproot, ROOT's RNTupleReader loop and RDataFrame (1 and 2
             threads; the ROOT sides need --root-python);
   - apply:  apply_bench.py: `rootgrad apply` end to end against uproot + numpy + uproot
             write, and against rootgrad's own read; apply_baskets.py: apply against
             read_all on 500,000- and 50,000-entry baskets and on a file ROOT 6.40 wrote
             with its default AutoFlush (needs --root-python or ROOT in the venv);
   - memory: memory_bench.py: max RSS of `rootgrad train` (2M) and `rootgrad apply` (2M
             and 20M);
   - commands: commands_bench.py: `rootgrad train` epochs (by difference of epoch counts)
             against the step benchmark, `rootgrad apply` against read_all, both basket
             layouts (50,000 and 500,000 entries per basket);
   - root:   root_read_bench.py: reading against ROOT 6.40 (compiled TTree loop,
             RDataFrame on 1 and 2 threads), both layouts (needs --root-python);
   - portable: ab.py: validation/build-portable's binary against the release build (read,
             epoch, apply).
   Before the parts: the FMA-throughput probe (fma_peak.c, gcc), whose peak the step is
   compared with in the table's last rows.
5. One table (part, rootgrad, peer, ratio of medians, spread, target, met?), the load
   (`uptime`'s averages) before and after each part; saved as JSON (every run) and as a
   markdown table for docs/performance.md, with the machine, versions, date and command,
   in WORKDIR/results/.

Exit code 2 when a part fails (the others still run and are reported) or the set-up does.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_common import REPO, bench_file, loadavg, machine  # noqa: E402

SCRIPT = "run"
PARTS = ["train", "commands", "read", "root", "apply", "memory", "portable"]
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# The targets (rootgrad / peer, ratio of medians), by table row.
TARGETS = {"step 4096": 4.0, "epoch 1024": 3.5, "epoch 4096": 3.0, "read": 3.0,
           "apply / read_all": 0.7, "epoch / step": 0.9, "step / FMA peak": 0.8,
           "portable / release": 0.95}
# Floating-point operations of one training step per event of the reference network
# (30 -> 64 -> 64 -> 64 -> 1): forward 10,176 multiply-adds, the weight gradients as many,
# the input gradients of all layers but the first 8,256; 2 flops each.
STEP_FLOPS = 2 * (10_176 + 10_176 + 8_256)
LAYOUTS = (50_000, 500_000)


def fail(msg):
    print(f"run: error: {msg}", file=sys.stderr)
    sys.exit(2)


def say(msg):
    print(f"\n== {msg}", flush=True)


def sh(cmd, **kw):
    print("$ " + shlex.join(map(str, cmd)), flush=True)
    return subprocess.run([str(c) for c in cmd], **kw)


# ---------------------------------------------------------------- set-up


def python_has(python, modules):
    """The modules of `modules` that `python` cannot import."""
    missing = []
    for m in modules:
        p = subprocess.run([python, "-c", f"import {m}"], capture_output=True)
        if p.returncode != 0:
            missing.append(m)
    return missing


def prepare_python(args, modules):
    """The interpreter for the peers: --python as given, or the suite's own venv."""
    if args.python:
        missing = python_has(args.python, modules)
        if missing:
            fail(f"{args.python} cannot import {', '.join(missing)}; install them there or "
                 f"leave out --python to let the suite make its own virtual environment")
        return args.python
    venv = args.venv
    py = venv / "bin" / "python"
    if py.exists() and not python_has(str(py), modules):
        print(f"reusing {venv}")
        return str(py)
    say(f"virtual environment {venv}")
    if not py.exists():
        if sh([sys.executable, "-m", "venv", venv]).returncode != 0:
            fail(f"`{sys.executable} -m venv {venv}` failed; on Debian/Ubuntu install "
                 f"python3-venv, or pass --python PATH to an interpreter with torch, uproot "
                 f"and numpy")
    pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check"]
    if "torch" in modules and python_has(str(py), ["torch"]):
        # the CPU wheel (~200 MB) rather than PyPI's CUDA build (several GB) where it exists
        if sh(pip + ["--index-url", TORCH_CPU_INDEX, "torch"]).returncode != 0:
            print("the PyTorch CPU index did not work; trying PyPI", flush=True)
            if sh(pip + ["torch"]).returncode != 0:
                fail("could not install torch into the virtual environment (see pip's "
                     "message above); or pass --python PATH to an interpreter with torch")
    if sh(pip + ["uproot", "numpy"]).returncode != 0:
        fail("could not install uproot and numpy into the virtual environment")
    missing = python_has(str(py), modules)
    if missing:
        fail(f"{py} still cannot import {', '.join(missing)}")
    return str(py)


def build(targets):
    """cargo build --release of the binary and examples; {name: executable path}."""
    say("building rootgrad (release)")
    cmd = ["cargo", "build", "--release", "--bin", "rootgrad"]
    for t in targets:
        cmd += ["--example", t]
    cmd += ["--message-format=json-render-diagnostics"]
    try:
        proc = sh(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    except FileNotFoundError:
        fail("cargo not found on PATH; install Rust (https://rustup.rs)")
    if proc.returncode != 0:
        fail(f"cargo build failed (exit {proc.returncode}); its messages are above")
    exes = {}
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            exes[msg["target"]["name"]] = msg["executable"]
    for name in ["rootgrad"] + list(targets):
        if name not in exes or not os.path.exists(exes[name]):
            fail(f"cargo built, but reported no executable for {name}")
    return exes


def versions(python):
    code = ("import json, platform, numpy, uproot\n"
            "v = {'python': platform.python_version(), 'numpy': numpy.__version__, "
            "'uproot': uproot.__version__}\n"
            "try:\n import torch; v['torch'] = torch.__version__\n"
            "except ImportError:\n pass\n"
            "print(json.dumps(v))")
    p = subprocess.run([python, "-c", code], capture_output=True, text=True)
    v = json.loads(p.stdout) if p.returncode == 0 else {}

    def out(cmd, cwd=None):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd).stdout.strip()
        except OSError:
            return ""

    v["rustc"] = out(["rustc", "--version"]).replace("rustc ", "", 1)
    commit = out(["git", "rev-parse", "--short", "HEAD"], cwd=REPO)
    dirty = out(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO)
    v["rootgrad"] = commit + (" (uncommitted changes)" if dirty else "")
    return v


# ---------------------------------------------------------------- the parts


def paired(a, b):
    """Ratios a_i / b_i of alternating runs (the same round): min and max."""
    r = [x / y for x, y in zip(a, b) if y]
    return (min(r), max(r)) if r else (None, None)


def row(part, ours, peer, unit, ratio, spread, target=None, note=""):
    met = None if target is None or ratio is None else ratio >= target
    return {"part": part, "rootgrad": ours, "peer": peer, "unit": unit, "ratio": ratio,
            "spread": spread, "target": target, "met": met, "note": note}


def run_part(cmd, log):
    """Run one part's script, its output shown as it comes; (exit code, stderr text)."""
    print("$ " + shlex.join(map(str, cmd)), flush=True)
    proc = subprocess.Popen([str(c) for c in cmd], stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate()
    if err:
        sys.stderr.write(err)
    log.append({"command": shlex.join(map(str, cmd)), "exit": proc.returncode})
    return proc.returncode, err


def row_kind(r):
    """"step", "epoch" or "hist-epoch": train_bench.py's `kind`, or from the label of a
    train_bench.py that writes no kind."""
    label = str(r["label"])
    return r.get("kind") or ("hist-epoch" if "hist" in label
                             else "epoch" if label.startswith("epoch") else "step")


def part_train(args, py, exes, out):
    j = out / "train.json"
    base = [py, HERE / "train_bench.py", "--reps", args.reps, "--threads", args.threads,
            "--python", py, "--train-step", exes["train_step"], "--json", j, "--epoch",
            "--epoch-batches", "1024,4096"]
    if args.quick:
        base += ["--batches", "1024,4096", "--min-seconds", "0.2"]
    log = []
    code, err = run_part(base + ["--hist-epoch"], log)
    hist = "measured"
    if code != 0 and "--hist-epoch" in err and "unrecognized" in err:
        print("train_bench.py has no --hist-epoch yet: the histogram-loss epoch is not "
              "available; running without it", flush=True)
        hist = "not available (train_bench.py has no --hist-epoch)"
        code, err = run_part(base, log)
    if code != 0:
        raise PartFailed(f"train_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    rows = []
    for r in data["rows"]:
        kind = row_kind(r)
        ours, peer = r["rootgrad"], r["torch"]
        eps = lambda side: [x["events_per_second"] for x in r["runs"][side]]
        spread = paired(eps("rootgrad"), eps("torch"))
        if kind == "hist-epoch":
            name, target = "epoch 2M, B=1024, histogram loss", None
        elif kind == "epoch":
            name = f"epoch 2M, B={r['batch']}, shuffled (train_step)"
            target = TARGETS.get(f"epoch {r['batch']}")
        else:
            name, target = f"step B={r['batch']}", TARGETS.get(f"step {r['batch']}")
        rows.append(row(name, ours, peer, "M ev/s", r["ratio"], spread, target,
                        "vs PyTorch CPU"))
    if not any(row_kind(r) == "hist-epoch" for r in data["rows"]):
        rows.append(row("epoch 2M, B=1024, histogram loss", None, None, "M ev/s", None,
                        (None, None),
                        note=hist if hist != "measured" else "not available (no row)"))
    return rows, data, log


def part_read(args, py, exes, out):
    j = out / "read.json"
    log = []
    code, _ = run_part([py, HERE / "read_bench.py", "--workdir", args.workdir, "--reps",
                        args.reps, "--threads", args.threads, "--entries", args.entries,
                        "--read-all", exes["read_all"], "--json", j], log)
    if code != 0:
        raise PartFailed(f"read_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    ev = data["file"]["entries"]
    rate = lambda side: [ev / s for s in data[side]["seconds"]]
    spread = paired(rate("rootgrad"), rate("uproot"))
    rows = [row("read 30 branches", data["rootgrad"], data["uproot"], "M ev/s",
                data["ratio_of_medians"], spread, TARGETS["read"], "vs uproot")]
    rnt_rows, rnt = part_read_rntuple(args, py, exes, out, log)
    return rows + rnt_rows, {"ttree": data, "rntuple": rnt}, log


# Issue 16's RNTuple read targets (rootgrad / peer, ratio of medians), by peer.
RNTUPLE_TARGETS = {"uproot": 3.0, "RDF 2 threads": 1.0}


def part_read_rntuple(args, py, exes, out, log):
    """Reading 2M x 30 float RNTuple fields (zstd) into memory, files written by ROOT
    6.40 and by uproot, against uproot, ROOT's RNTupleReader loop (1 and 2 threads) and
    RDataFrame (1 and 2 threads): rntuple_bench.py. Without an interpreter with ROOT,
    the uproot-written file against uproot only."""
    j = out / "read_rntuple.json"
    cmd = [py, HERE / "rntuple_bench.py", "--workdir", args.workdir, "--reps", args.reps,
           "--threads", args.threads, "--entries", args.entries, "--read-all",
           exes["read_all"], "--python", py, "--json", j]
    rpy = root_python(args)
    if rpy:
        cmd += ["--root-python", rpy]
    code, _ = run_part(cmd, log)
    if code != 0:
        raise PartFailed(f"rntuple_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    rows = []
    for label, f in data["files"].items():
        e, ev, cpu = f["events_per_second"], f["entries"], f["cpu_seconds_median"]
        ours = [ev / x["seconds"] for x in f["runs"]["rootgrad"]]
        for side, ratio in f["ratio_rootgrad_over"].items():
            theirs = [ev / x["seconds"] for x in f["runs"][side]]
            note = f"RNTuple, zstd; CPU s rootgrad {cpu.get('rootgrad', 0):.2f}, " \
                   f"peer {cpu.get(side, 0):.2f}"
            rows.append(row(f"read RNTuple {ev / 1e6:g}M x 30, {label}, vs {side}",
                            e["rootgrad"], e[side], "M ev/s", ratio, paired(ours, theirs),
                            RNTUPLE_TARGETS.get(side), note))
    if not rpy:
        rows.append(row("read RNTuple, ROOT-written, vs ROOT", None, None, "M ev/s", None,
                        (None, None), note="skipped: no interpreter with ROOT (pip install "
                        "root; --root-python)"))
    return rows, data


def part_apply(args, py, exes, out):
    j = out / "apply.json"
    log = []
    code, _ = run_part([py, HERE / "apply_bench.py", "--workdir", args.workdir, "--reps",
                        args.reps, "--threads", args.threads, "--entries", args.entries,
                        "--rootgrad", exes["rootgrad"], "--read-all", exes["read_all"],
                        "--json", j], log)
    if code != 0:
        raise PartFailed(f"apply_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    ev, runs = data["entries"], data["runs"]
    apply_rate = [ev / r["rootgrad"] for r in runs]
    peer_rate = [ev / r["peer"]["seconds"] for r in runs]
    read_rate = [ev / r["read_all"]["seconds"] for r in runs]
    e = data["events_per_second"]
    rows = [
        row("apply end to end", e["rootgrad_apply"], e["peer"], "M ev/s",
            data["ratio_apply_vs_peer"], paired(apply_rate, peer_rate), None,
            "vs uproot read + numpy forward + uproot write"),
        row("apply / read_all", e["rootgrad_apply"], e["rootgrad_read_all"], "M ev/s",
            data["ratio_apply_vs_read"], paired(apply_rate, read_rate),
            TARGETS["apply / read_all"], "peer column: rootgrad's own read"),
    ]
    # apply against read_all on the basket layouts of issue 18.3: uproot's 500,000- and
    # 50,000-entry baskets, and ROOT's own TTree::Fill with the default AutoFlush (when an
    # interpreter with ROOT is there)
    rpy = root_python(args)
    jb = out / "apply_baskets.json"
    code, _ = run_part([rpy or py, HERE / "apply_baskets.py", "--workdir", args.workdir,
                        "--reps", args.reps, "--rootgrad", exes["rootgrad"], "--read-all",
                        exes["read_all"], "--layouts",
                        "500000,50000" + (",root" if rpy else ""), "--json", jb], log)
    if code != 0:
        raise PartFailed(f"apply_baskets.py failed (exit {code})")
    layouts = json.loads(jb.read_text())
    for name, a in layouts.items():
        rows.append(row(f"apply / read_all, {name}", a["apply_rate"], a["read_rate"],
                        "M ev/s", a["apply_rate"]["median"] / a["read_rate"]["median"],
                        (min(a["paired"]), max(a["paired"])), TARGETS["apply / read_all"],
                        "peer column: read_all, same file; apply_baskets.py"))
    if not rpy:
        rows.append(row("apply / read_all, ROOT default AutoFlush", None, None, "M ev/s",
                        None, (None, None), note="skipped: no interpreter with ROOT "
                        "(pip install root; --root-python)"))
    data["layouts"] = layouts
    return rows, data, log


def part_memory(args, py, exes, out):
    j = out / "memory.json"
    cmd = [py, HERE / "memory_bench.py", "--workdir", args.workdir, "--threads", args.threads,
           "--entries", args.entries, "--big-entries", args.big_entries,
           "--rootgrad", exes["rootgrad"], "--json", j]
    if args.skip_big:
        cmd.append("--skip-big")
    log = []
    code, _ = run_part(cmd, log)
    if code != 0:
        raise PartFailed(f"memory_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    rows = []
    for key, m in data["measurements"].items():
        rss = {"median": m["max_rss_mb"], "min": min(r["max_rss_mb"] for r in m["runs"]),
               "max": m["max_rss_mb"]}
        if key.startswith("train"):
            r = row(f"peak RSS, train {m['entries'] / 1e6:g}M x 30", rss, None, "MB", None,
                    (None, None), note="1.5 x f32 features + 200 MB")
            r["met"], r["target"] = m["met"], f"<= {m['limit_mb']:.0f} MB"
        else:
            r = row(f"peak RSS, apply {m['entries'] / 1e6:g}M x 30", rss, None, "MB", None,
                    (None, None), note=f"f32 features would be {m['features_mb']:.0f} MB")
        rows.append(r)
    if args.skip_big:
        rows.append(row(f"peak RSS, apply {args.big_entries / 1e6:g}M x 30", None, None, "MB",
                        None, (None, None), note="skipped (--skip-big)"))
    return rows, data, log


def part_commands(args, py, exes, out):
    """`rootgrad train` epochs (by difference of epoch counts) against the step benchmark,
    and `rootgrad apply` against read_all, on both basket layouts: commands_bench.py."""
    j = out / "commands.json"
    log = []
    cmd = [py, HERE / "commands_bench.py", "--workdir", args.workdir, "--reps",
           max(2, args.reps - 1), "--threads", args.threads, "--entries", args.entries,
           "--rootgrad", exes["rootgrad"], "--train-step", exes["train_step"], "--read-all",
           exes["read_all"], "--json", j]
    if not python_has(py, ["torch"]):
        cmd += ["--python", py]
    code, _ = run_part(cmd, log)
    if code != 0:
        raise PartFailed(f"commands_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    rows = []
    for key, c in data["train"].items():
        ours = c["epoch_rate"]
        if c.get("step_rate"):
            r = row(f"rootgrad train epoch, {key}", ours, c["step_rate"], "M ev/s",
                    c["ratio_epoch_over_step"], (min(c["paired"]), max(c["paired"])),
                    TARGETS["epoch / step"], "peer column: train_step at the same B"
                    + ({"histogram": " --hist-epoch", "reversal": " --rev-epoch",
                        "both": " --both-epoch"}.get(c["label"], "")))
        else:
            r = row(f"rootgrad train epoch, {key}", ours, None, "M ev/s", None, (None, None),
                    note=f"{c['label']}: gradient reversal; no step benchmark for it")
        rows.append(r)
        if c.get("torch_rate"):
            plain = c["label"] == "plain"
            rows.append(row(f"rootgrad train epoch vs PyTorch, {key}", ours, c["torch_rate"],
                            "M ev/s", c["ratio_epoch_over_torch"],
                            (min(c["paired_torch"]), max(c["paired_torch"])),
                            TARGETS.get(f"epoch {c['batch']}") if plain else None,
                            "peer column: PyTorch's own loop, one shuffled epoch, same B"
                            + ("" if plain else ", histogram loss")))
    for key, a in data["apply"].items():
        rows.append(row(f"rootgrad apply, {key}", a["apply_rate"], a["read_rate"], "M ev/s",
                        a["ratio_apply_over_read"], (min(a["paired"]), max(a["paired"])),
                        TARGETS["apply / read_all"], "peer column: read_all, same file"))
    return rows, data, log


def root_python(args):
    """An interpreter with ROOT's Python package: --root-python, or the suite's own if it
    imports ROOT; None when there is none (the part is then skipped)."""
    for cand in ([args.root_python] if args.root_python else []) + [str(args.venv / "bin/python")]:
        if cand and os.path.exists(cand) and not python_has(cand, ["ROOT"]):
            return cand
    return None


def part_root(args, py, exes, out):
    """Reading against ROOT 6.40: its compiled TTree loop and RDataFrame (1 and 2
    threads), on both basket layouts: root_read_bench.py."""
    rpy = root_python(args)
    if rpy is None:
        return [row("read vs ROOT", None, None, "M ev/s", None, (None, None),
                    note="skipped: no interpreter with ROOT (pip install root; --root-python)")
                ], None, []
    j = out / "root.json"
    files = [bench_file(args.workdir, args.entries, chunk=c) for c in LAYOUTS]
    log = []
    code, _ = run_part([py, HERE / "root_read_bench.py", *files, "--read-all",
                        exes["read_all"], "--root-python", rpy, "--reps",
                        max(2, args.reps - 2), "--threads", args.threads, "--json", j], log)
    if code != 0:
        raise PartFailed(f"root_read_bench.py failed (exit {code})")
    data = json.loads(j.read_text())
    rows = []
    for path, f in data["files"].items():
        layout = Path(path).name.split("-")[2].replace("chunk", "") + " per basket"
        e = f["events_per_second"]
        for side, ratio in f["ratio_rootgrad_over"].items():
            ev = f["entries"]
            ours = [ev / x["seconds"] for x in f["runs"]["rootgrad"]]
            theirs = [ev / x["seconds"] for x in f["runs"][side]]
            rows.append(row(f"read 2M x 30, {layout}, vs {side}", e["rootgrad"], e[side],
                            "M ev/s", ratio, paired(ours, theirs), None, "ROOT 6.40"))
    return rows, data, log


def portable_exes():
    """validation/build-portable's binary and read_all example (built here)."""
    code = sh([REPO / "validation" / "build-portable", "--example", "read_all"],
              cwd=REPO).returncode
    if code != 0:
        raise PartFailed(f"validation/build-portable failed (exit {code})")
    return (REPO / "target" / "portable" / "rootgrad",
            REPO / "target" / "x86_64-unknown-linux-gnu" / "portable" / "examples" / "read_all")


def part_portable(args, py, exes, out):
    """The portable binary (static glibc) against the ordinary release build: the read, a
    training epoch and apply, alternating (ab.py)."""
    port, port_read = portable_exes()
    j = out / "portable.json"
    log = []
    code, _ = run_part([sys.executable, HERE / "ab.py", exes["rootgrad"], port, "--reps",
                        args.reps, "--threads", args.threads, "--input",
                        bench_file(args.workdir, args.entries), "--read-all",
                        exes["read_all"], port_read, "--json", j], log)
    if code != 0:
        raise PartFailed(f"ab.py failed (exit {code})")
    data = json.loads(j.read_text())
    rows = []
    for label, name in [("read_all, its own time (s)", "read"),
                        ("epoch, history.csv (s)", "training epoch (history.csv)"),
                        ("epoch, (3 - 1) / 2 (s)", "training epoch (3 - 1 epochs)"),
                        ("epoch, CPU time (3 - 1) / 2 (s)", "training epoch, CPU time"),
                        ("apply 2M (s)", "apply 2M, whole process"),
                        ("apply 2M, CPU time (s)", "apply 2M, CPU time")]:
        m = data["rows"].get(label)
        if not m:
            continue
        # the ratio is release seconds / portable seconds: >= 0.95 is at most 5% slower
        secs = lambda v: {"median": statistics.median(v), "min": min(v), "max": max(v)}
        pr = [a / b for a, b in zip(m["A"], m["B"])]
        rows.append(row(f"portable vs release: {name}", secs(m["B"]), secs(m["A"]), "s",
                        m["A_median"] / m["B_median"], (min(pr), max(pr)),
                        TARGETS["portable / release"], "peer column: the release build"))
    return rows, data, log


def fma_peak(threads):
    """The FMA probe (validation/bench/fma_peak.c, compiled here with gcc): {isa: its JSON
    line}, or {} when gcc or the probe fails."""
    exe = Path(tempfile.gettempdir()) / "rootgrad-fma-peak"
    if sh(["gcc", "-O2", "-pthread", "-o", exe, HERE / "fma_peak.c"]).returncode != 0:
        return {}
    p = subprocess.run([str(exe), str(threads)], capture_output=True, text=True)
    if p.returncode != 0:
        return {}
    return {d["isa"]: d for d in map(json.loads, p.stdout.split("\n")[:-1])}


def peak_rows(rows, peak, details):
    """The step (train_step at B = 1024 and 4096, from the train or commands part) as a
    fraction of the measured FMA peak of the threads used."""
    best = max((d["gflops_cpu"] for d in peak.values()), default=None)
    if not best:
        return []
    steps = {}
    train = (details.get("train") or {}).get("result") or {}
    for d in train.get("rows", []):
        if row_kind(d) == "step":
            steps[int(d["batch"])] = d["rootgrad"]["median"]
    c = (details.get("commands") or {}).get("result") or {}
    for v in c.get("train", {}).values():
        if v["label"] == "plain" and v.get("step_rate"):
            steps.setdefault(v["batch"], v["step_rate"]["median"])
    out = []
    for b in sorted(steps):
        gf = steps[b] * STEP_FLOPS / 1e9
        r = row(f"step B={b} against the FMA peak", {"median": gf, "min": gf, "max": gf},
                None, "GFLOP/s",
                gf / best, (None, None), TARGETS["step / FMA peak"] if b in (1024, 4096)
                else None, f"GFLOP/s ({STEP_FLOPS} flops per event); peak {best:.0f} GFLOP/s")
        out.append(r)
    return out


class PartFailed(Exception):
    pass


RUNNERS = {"train": part_train, "commands": part_commands, "read": part_read, "root": part_root,
           "apply": part_apply, "memory": part_memory, "portable": part_portable}


# ---------------------------------------------------------------- the table


def fmt_side(s, unit):
    if s is None:
        return "-"
    if unit == "MB":
        return f"{s['median']:.0f}"
    if unit == "s":
        return f"{s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f})"
    if unit == "GFLOP/s":
        return f"{s['median']:.0f}"
    return f"{s['median'] / 1e6:.2f} ({s['min'] / 1e6:.2f}-{s['max'] / 1e6:.2f})"


def fmt_target(t):
    if t is None:
        return "-"
    return t if isinstance(t, str) else f">= {t:g}x"


def table_lines(rows, md):
    head = ["part", "rootgrad", "peer", "ratio of medians", "paired ratios min-max", "target",
            "met?", "load before -> after", "note"]
    cells = []
    for r in rows:
        unit = {"M ev/s": "M events/s median (min-max)", "s": "seconds median (min-max)",
                "GFLOP/s": "GFLOP/s of the step's median"}.get(r["unit"], "max RSS, MB")
        lo, hi = r["spread"]
        cells.append([
            r["part"], fmt_side(r["rootgrad"], r["unit"]), fmt_side(r["peer"], r["unit"]),
            "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
            "-" if lo is None else f"{lo:.2f}-{hi:.2f}",
            fmt_target(r["target"]),
            {True: "yes", False: "NO", None: "-"}[r["met"]],
            "{} -> {}".format(*(("-" if x is None else f"{x[0]:.1f}") for x in r["load"])),
            (r["note"] + ("; " if r["note"] else "") + unit) if r["rootgrad"] else r["note"],
        ])
    if md:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return lines
    cols = head
    width = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(cols)]
    lines = [cols, ["-" * w for w in width]] + cells
    return ["  ".join(c.ljust(w) for c, w in zip(line, width)).rstrip() for line in lines]


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", help="an interpreter that has torch, uproot and numpy "
                    "(default: the suite's own virtual environment, made if missing)")
    ap.add_argument("--venv", type=Path, default=HERE / ".venv",
                    help="the suite's virtual environment (default: %(default)s)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rootgrad-bench"),
                    help="input files (reused), outputs and results (default: %(default)s)")
    ap.add_argument("--reps", type=int, help="alternating rounds per measurement "
                    "(default: 3, the commands part one fewer but at least 2; 2 with "
                    "--quick)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads of rootgrad and of the peers that have threads (default: 2)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 2 rounds, 200,000-entry files (2,000,000 for the big "
                         "one), training steps at B = 1024 and 4096 only")
    ap.add_argument("--only", help=f"comma-separated parts to run, of {','.join(PARTS)} "
                    "(default: all)")
    ap.add_argument("--root-python", help="an interpreter with ROOT's Python package (pip "
                    "install root) for the root part (default: the suite's, if it has ROOT; "
                    "otherwise the part is skipped)")
    ap.add_argument("--skip-big", action="store_true",
                    help="no apply on the 20,000,000-entry file (memory part)")
    args = ap.parse_args()

    parts = PARTS if not args.only else [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        fail(f"--only: unknown part(s) {', '.join(unknown) or '(none given)'}; the parts are "
             f"{', '.join(PARTS)}")
    if args.reps is None:
        args.reps = 2 if args.quick else 3
    if args.reps < 1 or args.threads < 1:
        fail("--reps and --threads must be at least 1")
    args.entries = 200_000 if args.quick else 2_000_000
    args.big_entries = 2_000_000 if args.quick else 20_000_000
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)

    start = datetime.datetime.now(datetime.timezone.utc)
    command = shlex.join([sys.executable] + sys.argv)
    modules = ["numpy", "uproot"] + (["torch"] if "train" in parts else [])
    # the commands part uses torch when the interpreter has it (its PyTorch rows)
    py = prepare_python(args, modules)
    exes = build(["read_all", "train_step"])
    vers = versions(py)

    say("inputs")
    chunks = [None] + (list(LAYOUTS) if {"commands", "root"} & set(parts) else [])
    for c in chunks:
        kw = f", chunk={c}" if c else ""
        code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_common as b; "
                f"print(b.ensure_file({str(args.workdir)!r}, {args.entries}{kw}))")
        if sh([py, "-c", code]).returncode != 0:
            fail(f"could not write the input file {bench_file(args.workdir, args.entries)}"
                 + (f" ({c} entries per basket)" if c else ""))

    say("FMA peak (validation/bench/fma_peak.c)")
    peak = fma_peak(args.threads)
    print(json.dumps(peak))

    out = args.workdir / "results" / f"suite-{start:%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    rows, details, failed = [], {}, []
    for part in parts:
        say(f"part {part}")
        before = loadavg()
        t0 = time.perf_counter()
        try:
            prow, data, log = RUNNERS[part](args, py, exes, out)
        except (PartFailed, OSError, ValueError, KeyError) as e:
            print(f"run: part {part} failed: {e}", file=sys.stderr, flush=True)
            failed.append(part)
            prow, data, log = [row(part, None, None, "", None, (None, None),
                                   note=f"FAILED: {e}")], None, []
        after = loadavg()
        for r in prow:
            r["load"] = (before, after)
        rows += prow
        details[part] = {"rows": prow, "result": data, "commands": log,
                         "load_before": before, "load_after": after,
                         "seconds": time.perf_counter() - t0}

    prow = peak_rows(rows, peak, details)
    for r in prow:
        r["load"] = (None, None)
    rows += prow

    end = datetime.datetime.now(datetime.timezone.utc)
    m = machine()
    header = [
        f"rootgrad benchmark suite, {start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC",
        f"machine: {m['cpus']} CPUs, {m['cpu']}, {m['memory_gib']} GiB, {m['platform']}",
        "FMA peak, f32, " + (", ".join(
            f"{k} {v['gflops_cpu']:.0f} GFLOP/s ({v['threads']} threads, by their CPU time; "
            f"{v['gflops_wall']:.0f} by the wall clock)" for k, v in peak.items())
            or "not measured (no gcc)"),
        "versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()),
        f"threads: {args.threads} (rootgrad, PyTorch, numpy); uproot serial; "
        f"{args.reps} alternating rounds per measurement"
        + (" (--quick: smaller sizes)" if args.quick else ""),
        f"command: {command}",
        "duration: " + ", ".join(f"{p} {d['seconds']:.0f} s" for p, d in details.items())
        + f"; {(end - start).total_seconds() / 60:.1f} min in all",
    ]
    loads = [x[0] for r in rows for x in r["load"] if x is not None]
    peak = max(loads) if loads else None
    busy = peak is not None and peak > m["cpus"] + 0.5
    header.append(f"load: 1-minute average {min(loads):.1f} to {peak:.1f} around the parts"
                  + (f" -- BUSY: above {m['cpus']} CPUs + 0.5, other work was running; "
                     f"these figures are not results" if busy else "")
                  if loads else "load: unknown")
    print()
    for line in header + [""] + table_lines(rows, md=False):
        print(line)
    md = [f"{header[0]}.", ""] + [f"- {h}" for h in header[1:5]] + \
        [f"- command: `{command}`", f"- {header[6]}", f"- {header[7]}", ""] + \
        table_lines(rows, md=True)
    (out / "table.md").write_text("\n".join(md) + "\n")
    (out / "suite.json").write_text(json.dumps({
        "start": start.isoformat(timespec="seconds"), "end": end.isoformat(timespec="seconds"),
        "command": command, "machine": m, "versions": vers, "threads": args.threads,
        "reps": args.reps, "quick": args.quick, "entries": args.entries,
        "big_entries": None if args.skip_big else args.big_entries,
        "executables": exes, "python": py, "targets": TARGETS, "busy": busy,
        "rows": rows, "parts": details}, indent=1) + "\n")
    print(f"\nsaved {out / 'suite.json'} (every run) and {out / 'table.md'} "
          f"(for docs/performance.md)")
    if failed:
        fail(f"part(s) failed: {', '.join(failed)} (see above)")


if __name__ == "__main__":
    main()
