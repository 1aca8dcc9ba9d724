#!/usr/bin/env python3
"""Behaviour before and after a change, shown rather than assumed.

Runs the demo and a fixed list of commands (commands.py) with two rootgrad binaries,
each side in its own fresh folder, and compares what they wrote and printed:

  * JSON files (model.json, summary.json, reweight.json, ...): bytes, else a structured
    diff (which keys differ, max abs/rel difference of numbers); summary.json's
    `seconds` is masked;
  * CSV files (history.csv, sweep.csv, dumps): cell by cell, `seconds` column masked;
  * ROOT files: bytes, and the values read back with `rootgrad dump` (one reader, the
    --before binary, for both sides) compared entry by entry;
  * stdout/stderr and exit code of every command, after masking timings, rates, the
    side's folder and progress-bar redraws; a unified diff of what is left;
  * HTML pages after masking; PNG/SVG figures byte-compared and listed (a figure alone
    does not fail the comparison).

Prints a table and writes WORK/summary.md; exit code 0 when everything is identical, 1
otherwise, 2 when a binary could not be built.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commands import COMMANDS, DETERMINISM, FILES  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_BEFORE = "410d709"
WORKTREE = "WORKTREE"  # --after default: build the repository this script sits in
SHARED = Path(os.environ.get("ROOTGRAD_TEST_FILES", "/work/shared/rootfiles"))
MASKED_JSON_KEYS = {"seconds"}
MASKED_CSV_COLUMNS = {"seconds"}
FIGURES = {".png", ".svg"}
MAX_DIFF_LINES = 60


# ----------------------------------------------------------------------------- build

def log(msg: str) -> None:
    print(f"[compare] {msg}", file=sys.stderr, flush=True)


def git(*args: str, cwd: Path = REPO, check: bool = True) -> str:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip()


@dataclass
class Side:
    label: str          # "before" / "after"
    spec: str           # what the user gave
    binary: Path
    describe: str       # commit hash or path, for the summary
    run: Path = Path()  # the side's working folder
    logs: Path = Path()
    results: dict = field(default_factory=dict)  # name -> CmdResult
    seconds: float = 0.0


def build_ref(spec: str, cache: Path) -> tuple[Path, str]:
    """Build git ref `spec` in a temporary worktree; cached under cache/<commit>/rootgrad."""
    commit = git("rev-parse", "--verify", f"{spec}^{{commit}}")
    out = cache / commit
    binary = out / "rootgrad"
    if binary.is_file():
        log(f"{spec}: cached build {binary}")
        return binary, commit
    out.mkdir(parents=True, exist_ok=True)
    tree = out / "tree"
    target = cache / "target"  # shared by every ref: dependencies are built once
    if tree.exists():
        git("worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tree, ignore_errors=True)
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        log(f"{spec}: cargo build --release in {tree} (target {target}); log {out / 'build.log'}")
        t0 = time.time()
        with open(out / "build.log", "w") as fh:
            r = subprocess.run(["cargo", "build", "--release", "--bin", "rootgrad",
                                "--target-dir", str(target)], cwd=tree, stdout=fh,
                               stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError(f"cargo build of {spec} ({commit}) failed; see {out / 'build.log'}")
        tmp = out / "rootgrad.tmp"
        shutil.copy2(target / "release" / "rootgrad", tmp)
        tmp.rename(binary)
        log(f"{spec}: built in {time.time() - t0:.0f} s")
    finally:
        git("worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tree, ignore_errors=True)
        git("worktree", "prune", check=False)
    return binary, commit


def build_worktree() -> tuple[Path, str]:
    head = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    log(f"building the work tree {REPO} (HEAD {head[:9]}{', modified' if dirty else ''})")
    r = subprocess.run(["cargo", "build", "--release", "--bin", "rootgrad"], cwd=REPO)
    if r.returncode != 0:
        raise RuntimeError("cargo build --release of the work tree failed")
    return REPO / "target" / "release" / "rootgrad", f"work tree at {head}{' + local changes' if dirty else ''}"


def resolve(spec: str, cache: Path) -> tuple[Path, str]:
    if spec == WORKTREE:
        return build_worktree()
    p = Path(spec)
    if p.is_file() and os.access(p, os.X_OK):
        return p.resolve(), f"binary {p.resolve()}"
    binary, commit = build_ref(spec, cache)
    subject = git("log", "-1", "--format=%s", commit)[:70]
    return binary, f"{commit[:9]} ({subject})"


# ------------------------------------------------------------------------------- run

@dataclass
class CmdResult:
    name: str
    argv: list
    code: int | None        # None: timeout; -1: not run
    seconds: float
    files: list             # artefacts (paths relative to the run folder) it wrote or changed
    skipped: str = ""


def snapshot(root: Path) -> dict:
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def command_env() -> dict:
    env = dict(os.environ)
    env.update({"RAYON_NUM_THREADS": "2", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100",
                "LC_ALL": "C", "RUST_BACKTRACE": "0"})
    env.pop("CLICOLOR_FORCE", None)
    return env


def run_side(side: Side, work: Path) -> None:
    base = work / side.label
    if base.exists():
        shutil.rmtree(base)
    side.run = base / "run"
    side.logs = base / "logs"
    side.run.mkdir(parents=True)
    side.logs.mkdir()
    for rel, text in FILES.items():
        (side.run / rel).parent.mkdir(parents=True, exist_ok=True)
        (side.run / rel).write_text(text)
    env = command_env()
    t_side = time.time()
    before = snapshot(side.run)
    for i, (name, args, timeout) in enumerate(COMMANDS):
        argv = [a.replace("{shared}", str(SHARED)) for a in args]
        if any("{shared}" in a for a in args) and not SHARED.is_dir():
            side.results[name] = CmdResult(name, argv, -1, 0.0, [], skipped=f"{SHARED} missing")
            continue
        out_path, err_path = side.logs / f"{i:02d}_{name}.out", side.logs / f"{i:02d}_{name}.err"
        t0 = time.time()
        with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
            try:
                r = subprocess.run([str(side.binary), *argv], cwd=side.run, stdout=fo, stderr=fe,
                                   stdin=subprocess.DEVNULL, env=env, timeout=timeout)
                code = r.returncode
            except subprocess.TimeoutExpired:
                code = None
        dt = time.time() - t0
        after = snapshot(side.run)
        changed = sorted(k for k, v in after.items() if before.get(k) != v)
        before = after
        side.results[name] = CmdResult(name, argv, code, dt, changed)
        log(f"{side.label:6s} {name:24s} exit {code if code is not None else 'TIMEOUT'} "
            f"{dt:6.1f} s  {len(changed)} file(s)")
    side.seconds = time.time() - t_side
    (base / "results.json").write_text(json.dumps({
        "describe": side.describe, "binary": str(side.binary), "seconds": side.seconds,
        "results": {k: vars(v) for k, v in side.results.items()}}, indent=1))


def load_side(label: str, work: Path) -> Side:
    """The results of an earlier run (--compare-only)."""
    base = work / label
    d = json.loads((base / "results.json").read_text())
    side = Side(label, d["describe"], Path(d["binary"]), d["describe"], base / "run", base / "logs",
                {k: CmdResult(**v) for k, v in d["results"].items()}, d["seconds"])
    missing = [n for n, _a, _t in COMMANDS if n not in side.results]
    if missing:
        raise RuntimeError(f"{base}: no results for {', '.join(missing)}; run without --compare-only")
    return side


# --------------------------------------------------------------------------- masking

TIMING_RE = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?\s?(?:ns|µs|us|ms|s|sec|seconds|min|h)(?![\w])")
RATE_RE = re.compile(r"\d+(?:\.\d+)?\s?[kMG]?\s?(?:events|entries|ev|B|bytes|MB|GB|MiB|GiB)/s")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ISO_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def mask_text(text: str, side: Side) -> str:
    text = text.replace(str(side.run), "<RUN>").replace(str(side.binary), "<BINARY>")
    text = ANSI_RE.sub("", text)
    # a progress bar redraws its line with \r: keep what the line finally showed
    text = "\n".join(line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")
                     for line in text.split("\n"))
    text = RATE_RE.sub("<RATE>", text)
    text = TIMING_RE.sub("<TIME>", text)
    text = ISO_TIME_RE.sub("<DATE>", text)
    text = re.sub(r"/tmp/[\w.\-/]+", "<TMP>", text)
    return text


def unified(a: str, b: str, name_a: str, name_b: str) -> list[str]:
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), name_a, name_b, lineterm="", n=1))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return lines


# ----------------------------------------------------------------------- comparisons

@dataclass
class Row:
    command: str
    artefact: str
    status: str        # identical | identical-masked | DIFFERS | figure-differs | note
    detail: str = ""
    diff: list = field(default_factory=list)

    @property
    def failing(self) -> bool:
        return self.status == "DIFFERS"


def as_number(s: str):
    try:
        x = float(s)
    except (TypeError, ValueError):
        return None
    return x


class NumDiff:
    """Collects differing values: count, max abs and max rel difference, first examples."""

    def __init__(self) -> None:
        self.count = 0
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.examples: list[str] = []
        self.keys: dict[str, int] = {}   # key or column (indices generalised) -> differences
        self.rows: set = set()           # CSV rows (entries) with a difference

    def add(self, where: str, a, b, key: str | None = None, row: int | None = None) -> None:
        self.count += 1
        k = key if key is not None else generic_path(where)
        self.keys[k] = self.keys.get(k, 0) + 1
        if row is not None:
            self.rows.add(row)
        xa, xb = (a if isinstance(a, (int, float)) else as_number(a),
                  b if isinstance(b, (int, float)) else as_number(b))
        if isinstance(xa, (int, float)) and isinstance(xb, (int, float)) \
                and not isinstance(xa, bool) and not isinstance(xb, bool):
            if math.isfinite(xa) and math.isfinite(xb):
                d = abs(xa - xb)
                self.max_abs = max(self.max_abs, d)
                scale = max(abs(xa), abs(xb))
                if scale > 0:
                    self.max_rel = max(self.max_rel, d / scale)
            else:
                self.max_abs = math.inf
        if len(self.examples) < 8:
            self.examples.append(f"{where}: {short(a)} -> {short(b)}")

    def summary(self, what: str) -> str:
        return (f"{self.count} {what} differ; max abs diff {self.max_abs:.3g}, "
                f"max rel diff {self.max_rel:.3g}")

    def key_line(self, what: str = "keys") -> str:
        top = sorted(self.keys.items(), key=lambda kv: -kv[1])[:12]
        more = f", ... ({len(self.keys) - 12} more)" if len(self.keys) > 12 else ""
        return f"{what} with differences: " + ", ".join(f"{k} ({n})" for k, n in top) + more


def short(v) -> str:
    s = json.dumps(v) if not isinstance(v, str) else v
    return s if len(s) <= 60 else s[:57] + "..."


def json_walk(a, b, path: str, nd: NumDiff, structural: list) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k in MASKED_JSON_KEYS:
                continue
            p = f"{path}.{k}" if path else str(k)
            if k not in a:
                structural.append(f"{p}: only after")
            elif k not in b:
                structural.append(f"{p}: only before")
            else:
                json_walk(a[k], b[k], p, nd, structural)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            structural.append(f"{path}: length {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            json_walk(x, y, f"{path}[{i}]", nd, structural)
    elif type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        structural.append(f"{path}: {short(a)} -> {short(b)}")
    elif a != b:
        nd.add(path, a, b)


def generic_path(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def compare_json(cmd: str, rel: str, pa: Path, pb: Path) -> Row:
    ba, bb = pa.read_bytes(), pb.read_bytes()
    if ba == bb:
        return Row(cmd, rel, "identical")
    try:
        ja, jb = json.loads(ba), json.loads(bb)
    except ValueError as e:
        return compare_text(cmd, rel, pa, pb, note=f"not JSON ({e})")
    nd, structural = NumDiff(), []
    json_walk(ja, jb, "", nd, structural)
    if not nd.count and not structural:
        return Row(cmd, rel, "identical-masked", f"bytes differ only in masked keys {sorted(MASKED_JSON_KEYS)}")
    detail = []
    if nd.count:
        detail.append(nd.summary("values"))
    if structural:
        detail.append(f"{len(structural)} structural difference(s)")
    diff = [f"changed value {e}" for e in nd.examples] + [f"structure {e}" for e in structural[:20]]
    if nd.count:
        diff.insert(0, nd.key_line("keys"))
    return Row(cmd, rel, "DIFFERS", "; ".join(detail), diff)


def read_csv(p: Path) -> list[list[str]]:
    with open(p, newline="") as fh:
        return list(csv.reader(fh))


def compare_csv_rows(ra: list, rb: list, entries: bool = False) -> tuple[NumDiff, list]:
    """Cell by cell; `entries`: rows are tree entries (named `entry N`), else file lines."""
    nd, structural = NumDiff(), []
    header = ra[0] if ra else []
    masked = {i for i, h in enumerate(header) if h in MASKED_CSV_COLUMNS}
    if (ra[:1] != rb[:1]):
        structural.append(f"header {','.join(ra[0] if ra else [])} -> {','.join(rb[0] if rb else [])}")
    if len(ra) != len(rb):
        structural.append(f"rows {len(ra)} -> {len(rb)}")
    for i, (x, y) in enumerate(zip(ra, rb)):
        if len(x) != len(y):
            structural.append(f"row {i}: {len(x)} -> {len(y)} cells")
            continue
        for j, (u, v) in enumerate(zip(x, y)):
            if j not in masked and u != v:
                col = header[j] if j < len(header) else str(j)
                where = f"entry {i - 1}" if entries else f"line {i + 1}"
                nd.add(f"{where} {col}", u, v, key=col, row=i)
    return nd, structural


def compare_csv(cmd: str, rel: str, pa: Path, pb: Path) -> Row:
    if pa.read_bytes() == pb.read_bytes():
        return Row(cmd, rel, "identical")
    ra, rb = read_csv(pa), read_csv(pb)
    nd, structural = compare_csv_rows(ra, rb)
    if not nd.count and not structural:
        return Row(cmd, rel, "identical-masked", f"differs only in masked columns {sorted(MASKED_CSV_COLUMNS)}")
    detail = [nd.summary(f"cells (in {len(nd.rows)} of {max(len(ra) - 1, 0)} rows)")] if nd.count else []
    if structural:
        detail.append(f"{len(structural)} structural difference(s)")
    return Row(cmd, rel, "DIFFERS", "; ".join(detail),
               ([nd.key_line("columns")] if nd.count else []) + nd.examples + structural[:20])


def compare_text(cmd: str, rel: str, pa: Path, pb: Path, sa: Side | None = None, sb: Side | None = None,
                 note: str = "") -> Row:
    ba, bb = pa.read_bytes(), pb.read_bytes()
    if ba == bb:
        return Row(cmd, rel, "identical")
    ta, tb = ba.decode("utf-8", "replace"), bb.decode("utf-8", "replace")
    if sa and sb:
        ma, mb = mask_text(ta, sa), mask_text(tb, sb)
        if ma == mb:
            return Row(cmd, rel, "identical-masked", "differs only in timings/paths/dates")
        ta, tb = ma, mb
    n = sum(1 for _ in difflib.unified_diff(ta.splitlines(), tb.splitlines(), n=0))
    return Row(cmd, rel, "DIFFERS", (note + "; " if note else "") + f"text differs ({n} diff lines)",
               unified(ta, tb, f"before/{rel}", f"after/{rel}"))


def compare_figure(cmd: str, rel: str, pa: Path, pb: Path) -> Row:
    if pa.read_bytes() == pb.read_bytes():
        return Row(cmd, rel, "identical")
    return Row(cmd, rel, "figure-differs",
               f"bytes differ ({pa.stat().st_size} -> {pb.stat().st_size} bytes); not a failure on its own")


def trees_of(reader: Path, path: Path) -> list[str] | str:
    r = subprocess.run([str(reader), "inspect", "--json", str(path)], capture_output=True, text=True,
                       timeout=120, env=command_env())
    if r.returncode != 0:
        return f"inspect failed: {r.stderr.strip()[:200]}"
    try:
        return [t["path"] for f in json.loads(r.stdout) for t in f.get("trees", [])]
    except (ValueError, KeyError, TypeError) as e:
        return f"inspect --json unreadable: {e}"


def dump_tree(reader: Path, path: Path, tree: str) -> tuple[list | None, str]:
    r = subprocess.run([str(reader), "dump", f"{path}:{tree}", "--format", "csv"], capture_output=True,
                       text=True, timeout=600, env=command_env())
    if r.returncode != 0:
        return None, r.stderr.strip()[:300]
    return list(csv.reader(io.StringIO(r.stdout))), ""


def compare_root(cmd: str, rel: str, pa: Path, pb: Path, reader: Path) -> list[Row]:
    same_bytes = pa.read_bytes() == pb.read_bytes()
    if same_bytes:
        return [Row(cmd, rel, "identical", "byte-identical ROOT file")]
    rows = []
    ta, tb = trees_of(reader, pa), trees_of(reader, pb)
    if isinstance(ta, str) or isinstance(tb, str):
        return [Row(cmd, rel, "DIFFERS", f"bytes differ; before: {ta if isinstance(ta, str) else 'ok'}, "
                    f"after: {tb if isinstance(tb, str) else 'ok'}")]
    if ta != tb:
        rows.append(Row(cmd, rel, "DIFFERS", f"trees {ta} -> {tb}"))
    all_same = True
    for tree in [t for t in ta if t in tb]:
        da, ea = dump_tree(reader, pa, tree)
        db, eb = dump_tree(reader, pb, tree)
        what = f"{rel}:{tree} values"
        if da is None or db is None:
            rows.append(Row(cmd, what, "DIFFERS", f"dump failed: before {ea or 'ok'}; after {eb or 'ok'}"))
            all_same = False
            continue
        nd, structural = compare_csv_rows(da, db, entries=True)
        if nd.count or structural:
            all_same = False
            detail = [f"{len(nd.rows)} of {max(len(da) - 1, 0)} entries differ ("
                      + nd.summary("values").replace(" differ;", ";") + ")"] if nd.count else []
            if structural:
                detail.append("; ".join(structural[:3]))
            rows.append(Row(cmd, what, "DIFFERS", "; ".join(detail),
                            ([nd.key_line("branches")] if nd.count else []) + nd.examples))
    if all_same and ta == tb:
        rows.insert(0, Row(cmd, rel, "identical-masked",
                           f"bytes differ ({root_byte_note(pa, pb)}) but every value of {len(ta)} tree(s) "
                           f"read back by dump is identical"))
    else:
        rows.insert(0, Row(cmd, rel, "note", f"bytes differ ({root_byte_note(pa, pb)})"))
    return rows


def root_byte_note(pa: Path, pb: Path) -> str:
    """Why two ROOT files with the same values may differ: their own name is written in
    them (TFile, TKey), and ROOT files can embed dates and UUIDs."""
    ba, bb = pa.read_bytes(), pb.read_bytes()
    sizes = f"{len(ba)} -> {len(bb)} bytes"
    na, nb = pa.name.encode(), pb.name.encode()
    if na != nb and len(na) == len(nb) and ba.replace(na, nb) == bb:
        return f"{sizes}, only where the file's own name is written"
    if len(ba) == len(bb):
        n = sum(1 for x, y in zip(ba, bb) if x != y)
        return f"{sizes}, {n} byte(s) differ; ROOT files can embed dates/UUIDs"
    return f"{sizes}; ROOT files can embed dates/UUIDs"


def compare_file(cmd: str, rel: str, sa: Side, sb: Side, reader: Path) -> list[Row]:
    try:
        return compare_paths(cmd, rel, sa.run / rel, sb.run / rel, sa, sb, reader)
    except (OSError, ValueError, subprocess.SubprocessError, csv.Error) as e:
        return [Row(cmd, rel, "DIFFERS", f"could not compare: {type(e).__name__}: {e}")]


def compare_paths(cmd: str, rel: str, pa: Path, pb: Path, sa: Side, sb: Side, reader: Path) -> list[Row]:
    if not pa.exists() or not pb.exists():
        if not pa.exists() and not pb.exists():
            return [Row(cmd, rel, "note", "changed, then removed, on both sides")]
        return [Row(cmd, rel, "DIFFERS", f"written only {'before' if pa.exists() else 'after'}")]
    ext = pa.suffix.lower()
    if ext == ".root":
        return compare_root(cmd, rel, pa, pb, reader)
    if ext == ".json":
        return [compare_json(cmd, rel, pa, pb)]
    if ext == ".csv":
        return [compare_csv(cmd, rel, pa, pb)]
    if ext in FIGURES:
        return [compare_figure(cmd, rel, pa, pb)]
    try:
        pa.read_bytes().decode("utf-8")
        pb.read_bytes().decode("utf-8")
        return [compare_text(cmd, rel, pa, pb, sa, sb)]
    except UnicodeDecodeError:
        same = pa.read_bytes() == pb.read_bytes()
        return [Row(cmd, rel, "identical" if same else "DIFFERS", "" if same else "binary file differs")]


def compare_streams(name: str, idx: int, sa: Side, sb: Side) -> list[Row]:
    rows = []
    for stream in ("out", "err"):
        fa, fb = sa.logs / f"{idx:02d}_{name}.{stream}", sb.logs / f"{idx:02d}_{name}.{stream}"
        ta = fa.read_text("utf-8", "replace") if fa.exists() else ""
        tb = fb.read_text("utf-8", "replace") if fb.exists() else ""
        label = "stdout" if stream == "out" else "stderr"
        if ta == tb:
            rows.append(Row(name, label, "identical", f"{len(ta.splitlines())} lines" if ta else "empty"))
            continue
        ma, mb = mask_text(ta, sa), mask_text(tb, sb)
        if ma == mb:
            rows.append(Row(name, label, "identical-masked", "differs only in timings/rates/paths"))
        else:
            rows.append(Row(name, label, "DIFFERS", "text differs after masking",
                            unified(ma, mb, f"before {label}", f"after {label}")))
    return rows


def compare_all(sa: Side, sb: Side, reader: Path) -> list[Row]:
    rows: list[Row] = []
    for idx, (name, _args, _t) in enumerate(COMMANDS):
        ra, rb = sa.results[name], sb.results[name]
        if ra.skipped or rb.skipped:
            rows.append(Row(name, "-", "note", f"skipped: {ra.skipped or rb.skipped}"))
            continue
        code = lambda r: "TIMEOUT" if r.code is None else str(r.code)  # noqa: E731
        if ra.code == rb.code:
            rows.append(Row(name, "exit code", "identical", code(ra)))
        else:
            rows.append(Row(name, "exit code", "DIFFERS", f"{code(ra)} -> {code(rb)}"))
        rows += compare_streams(name, idx, sa, sb)
        for rel in sorted(set(ra.files) | set(rb.files)):
            rows += compare_file(name, rel, sa, sb, reader)
    # the same run with 1 and with 2 threads, within each side
    for side in (sa, sb):
        for a, b in DETERMINISM:
            cmd, what = f"determinism ({side.label})", f"{a} = {b}"
            try:
                found = compare_paths(cmd, what, side.run / a, side.run / b, side, side, reader)
            except (OSError, ValueError, subprocess.SubprocessError, csv.Error) as e:
                found = [Row(cmd, what, "DIFFERS", f"could not compare: {type(e).__name__}: {e}")]
            for r in found:
                if r.status == "identical":
                    r.detail = "1 thread = 2 threads, " + (r.detail or "bytes")
                rows.append(r)
    return rows


# --------------------------------------------------------------------------- summary

ICON = {"identical": "identical", "identical-masked": "identical (masked)", "DIFFERS": "DIFFERS",
        "figure-differs": "figure differs", "note": "note"}


def md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def write_summary(rows: list[Row], sa: Side, sb: Side, work: Path, total: float, compare_only: bool) -> str:
    fails = [r for r in rows if r.failing]
    figs = [r for r in rows if r.status == "figure-differs"]
    counts = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    out = ["# Behaviour comparison", "",
           f"- before: {sa.describe} (`{sa.binary}`), {sa.seconds:.0f} s of commands",
           f"- after:  {sb.describe} (`{sb.binary}`), {sb.seconds:.0f} s of commands",
           f"- {len(COMMANDS)} commands per side; {len(rows)} comparisons: "
           + ", ".join(f"{ICON[k]} {v}" for k, v in sorted(counts.items())),
           f"- total wall time {total:.0f} s{' (comparison of kept runs only)' if compare_only else ''}; folders: `{sa.run}`, `{sb.run}`",
           f"- result: **{'IDENTICAL' if not fails else f'{len(fails)} DIFFERENCE(S)'}**"
           + (f" ({len(figs)} figure(s) differ, reported only)" if figs else ""), ""]
    out += ["| command | artefact | result | detail |", "|---|---|---|---|"]
    for r in rows:
        out.append(f"| {md_escape(r.command)} | {md_escape(r.artefact)} | {ICON[r.status]} | {md_escape(r.detail)} |")
    details = [r for r in rows if r.diff]
    if details:
        out += ["", "## Details of the differences", ""]
        for r in details:
            out += [f"### {r.command}: {r.artefact}", "", "```diff" if r.diff[0].startswith("---") else "```",
                    *r.diff, "```", ""]
    out += ["", "## Commands", ""]
    for i, (name, args, timeout) in enumerate(COMMANDS):
        ra, rb = sa.results[name], sb.results[name]
        out.append(f"- `{i:02d} {name}`: `rootgrad {' '.join(quote(a) for a in ra.argv)}` "
                   f"({ra.seconds:.1f} s / {rb.seconds:.1f} s, timeout {timeout} s)")
    text = "\n".join(out) + "\n"
    (work / "summary.md").write_text(text)
    return text


def quote(a: str) -> str:
    return a if re.fullmatch(r"[\w./:=,\-\[\]*{}]+", a) else "'" + a.replace("'", "'\\''") + "'"


def print_table(rows: list[Row], show_identical: bool) -> None:
    w1 = max(len(r.command) for r in rows)
    w2 = min(max(len(r.artefact) for r in rows), 60)
    for r in rows:
        if not show_identical and r.status in ("identical", "identical-masked"):
            continue
        print(f"{r.command:<{w1}}  {r.artefact[:60]:<{w2}}  {ICON[r.status]:<18}  {r.detail}")
        for line in r.diff[:25] if r.failing else []:
            print(f"{'':<{w1}}    {line}")


# ------------------------------------------------------------------------------ main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=DEFAULT_BEFORE,
                    help=f"git ref or path to a rootgrad binary (default {DEFAULT_BEFORE})")
    ap.add_argument("--after", default=WORKTREE,
                    help="git ref or binary (default: cargo build --release of this work tree)")
    ap.add_argument("--work", type=Path, default=None,
                    help="folder for both runs and summary.md (default: a new temporary folder)")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("ROOTGRAD_BEHAVE_CACHE", REPO.parent / "behave-builds")),
                    help="where built refs are kept, by commit (default $ROOTGRAD_BEHAVE_CACHE "
                         "or ../behave-builds next to the repository)")
    ap.add_argument("--keep", action="store_true", help="keep the run folders (default: keep only summary.md)")
    ap.add_argument("--all", action="store_true", help="print identical rows too")
    ap.add_argument("--compare-only", action="store_true",
                    help="do not build or run: compare the runs kept in --work by an earlier --keep")
    args = ap.parse_args()

    cache = args.cache.resolve()
    if cache == REPO or REPO in cache.parents:
        ap.error(f"--cache {cache} is inside the repository; put builds outside it")
    work = (args.work or Path(tempfile.mkdtemp(prefix="rootgrad-behave-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    try:
        if args.compare_only:
            if not args.work:
                ap.error("--compare-only needs --work (the folder of the earlier run)")
            sa, sb = load_side("before", work), load_side("after", work)
        else:
            ba, da = resolve(args.before, cache)
            bb, db = resolve(args.after, cache)
            sa, sb = Side("before", args.before, ba, da), Side("after", args.after, bb, db)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    if not args.compare_only:
        for s in (sa, sb):
            log(f"{s.label}: {s.describe}")
            run_side(s, work)
    rows = compare_all(sa, sb, reader=sa.binary)
    print_table(rows, args.all)
    text = write_summary(rows, sa, sb, work, time.time() - t0, args.compare_only)
    print()
    print("\n".join(l for l in text.splitlines()[:8] if l.startswith("- ")))
    print(f"summary: {work / 'summary.md'}")
    if not args.keep and not args.compare_only:
        for s in (sa, sb):
            shutil.rmtree(work / s.label, ignore_errors=True)
    return 1 if any(r.failing for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
