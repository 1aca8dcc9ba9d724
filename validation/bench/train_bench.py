#!/usr/bin/env python3
"""Training-step benchmark: rootgrad's network engine against PyTorch CPU, side by side.

A benchmark, not a test: `cargo test` never runs it, and nothing asserts a time.

    python validation/bench/train_bench.py [--reps 5] [--threads 2] [--batches 256,1024,4096,65536]
                                           [--min-seconds 0.5] [--epoch] [--hist-epoch] [--json OUT]

The reference network: 30 inputs, hidden [64, 64, 64] ReLU, one output logit, float32,
PyTorch's nn.Linear default initialisation; the loss the weighted BCE on logits with the
set-level normalisation, L = (N / (|B| W)) sum_i w_i l_i (in torch
`binary_cross_entropy_with_logits(z, y, weight=w, reduction="sum") * N / (|B| W)`); Adam
with torch's defaults (lr 1e-3). One training step = forward, loss, backward, Adam.

The data: a fixed synthetic standardised set of max(4 B, 65536) events (whole batches):
inputs N(0, 1), labels from a fixed linear score plus noise, weights uniform in
[0.5, 1.5] with one event in ten negative; consecutive batches, wrapping around.

For each batch size B: one warm-up run of each side, then --reps rounds alternating
PyTorch (a fresh `python` process, torch.set_num_threads(--threads)) and rootgrad
(`target/release/examples/train_step B`, RAYON_NUM_THREADS=--threads). Each run does 10
warm-up steps, then times as many steps as fill --min-seconds, and reports one JSON line
{"batch", "steps", "seconds_per_step", "events_per_second", "final_loss"}. Prints median,
min and max events/s of each side and the ratio of the medians.

--epoch adds one epoch of 2,000,000 events at B = 1024 in an order shuffled once (rows
gathered into the batch each step), the same alternation; --epoch-batches 1024,4096 runs
it at each batch size (run.py does: the issue's targets are >= 3.5x PyTorch's loop at
1024 and >= 3x at 4096).

--hist-epoch adds the same epoch with the histogram loss of histogram-restricted learning
on, as `rootgrad train` runs `[adaptation] method = "histogram"` (src/train/fit.rs): each
step the classification batch's L_C, plus a domain batch of B control-region data events
followed by B simulated ones (2^19 events per domain set, each drawn in an order shuffled
once, consecutive windows, rows gathered each step) through the histogram loss
(docs/maths.md, src/loss/histogram.rs; the reference formula of validation/torch_loss.py):

    s = sigmoid(z),  d_n(s) = relu(1 - |s - t_n| / D),  t_n = n / K,  D = 1 / K,  n = 0..K
    H^data_n = N_data / (|B_data| W_data) sum_{i in data} w_i d_n(s_i), likewise H^mc_n
    L_H = sum_n (H^data_n - H^mc_n)^2,   L = L_C + lambda_H L_H

with K = 10 and lambda_H = 10 (the trainer's defaults), N and W each domain set's size and
total weight; one backward of L, then Adam. Events/s counts classification events (B per
step), as the epoch row does. In the JSON it is the row labelled
"hist-epoch 2M @1024 (BCE + histogram loss, domain batch 2 x 1024)", with "kind": "hist-epoch".

Needs: torch (and cargo for the rootgrad side).
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

TORCH_WORKER = r"""
import json, sys, time
import torch
batch, threads, min_seconds, warmup, epoch = (int(sys.argv[1]), int(sys.argv[2]),
    float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
hist = len(sys.argv) > 6 and sys.argv[6] == "hist"
K, LAMBDA_H, DOMAIN_EVENTS = 10, 10.0, 1 << 19
torch.set_num_threads(threads)
torch.manual_seed(1)
INPUTS = 30
n_set = epoch if epoch > 0 else -(-max(4 * batch, 65536) // batch) * batch
g = torch.Generator().manual_seed(12345)
v = torch.randn(INPUTS, generator=g) / 3
x = torch.randn(n_set, INPUTS, generator=g)
y = ((x @ v + 0.5 * torch.randn(n_set, generator=g)) > 0).float()
u = torch.rand(n_set, generator=g) + 0.5
w = torch.where(torch.rand(n_set, generator=g) < 0.1, -0.3 * u, u)
norm_set = n_set / (batch * w.double().sum().item())   # N / (|B| W)
net = torch.nn.Sequential(
    torch.nn.Linear(INPUTS, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 1),
)
opt = torch.optim.Adam(net.parameters())
F = torch.nn.functional
batches = n_set // batch

def step(xb, yb, wb):
    opt.zero_grad()
    z = net(xb).squeeze(1)
    loss = F.binary_cross_entropy_with_logits(z, yb, weight=wb, reduction="sum") * norm_set
    loss.backward()
    opt.step()
    return loss

if hist:
    # control-region sets: data N(0, 1), simulation 0.1 + 1.1 N(0, 1); weights as above
    def domain_set(shift, scale):
        xd = shift + scale * torch.randn(DOMAIN_EVENTS, INPUTS, generator=g)
        ud = torch.rand(DOMAIN_EVENTS, generator=g) + 0.5
        wd = torch.where(torch.rand(DOMAIN_EVENTS, generator=g) < 0.1, -0.3 * ud, ud)
        return xd, wd
    (x_data, w_data), (x_mc, w_mc) = domain_set(0.0, 1.0), domain_set(0.1, 1.1)
    # N / (|B| W) of each domain, |B| = batch events of each per domain batch
    norm_data = DOMAIN_EVENTS / (batch * w_data.double().sum().item())
    norm_mc = DOMAIN_EVENTS / (batch * w_mc.double().sum().item())
    order_data = torch.randperm(DOMAIN_EVENTS, generator=g)
    order_mc = torch.randperm(DOMAIN_EVENTS, generator=g)
    nodes = torch.arange(K + 1, dtype=torch.float32) / K   # t_n
    D = 1.0 / K
    dom_step = [0]

def hist_loss(zd, wd):
    # L_H of a domain batch: `batch` data events, then `batch` simulated ones
    s = torch.sigmoid(zd)
    tri = torch.relu(1 - (s[:, None] - nodes).abs() / D)   # d_n(s_i), (2B, K + 1)
    h_data = norm_data * (wd[:batch] @ tri[:batch])
    h_mc = norm_mc * (wd[batch:] @ tri[batch:])
    return ((h_data - h_mc) ** 2).sum()

def hstep(xb, yb, wb):
    k = dom_step[0] * batch % (DOMAIN_EVENTS - DOMAIN_EVENTS % batch)
    dom_step[0] += 1
    i_data, i_mc = order_data[k:k + batch], order_mc[k:k + batch]
    xd = torch.cat([x_data[i_data], x_mc[i_mc]])
    wd = torch.cat([w_data[i_data], w_mc[i_mc]])
    opt.zero_grad()
    z = net(xb).squeeze(1)
    loss = F.binary_cross_entropy_with_logits(z, yb, weight=wb, reduction="sum") * norm_set
    zd = net(xd).squeeze(1)
    loss = loss + LAMBDA_H * hist_loss(zd, wd)
    loss.backward()
    opt.step()
    return loss

if hist:
    step = hstep

def sl(k):
    k %= batches
    return x[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch], w[k * batch:(k + 1) * batch]

for k in range(warmup):
    step(*sl(k))
if epoch > 0:
    order = torch.randperm(n_set, generator=g)
    t = time.perf_counter()
    for k in range(batches):
        idx = order[k * batch:(k + 1) * batch]
        loss = step(x[idx], y[idx], w[idx])
    steps, seconds = batches, time.perf_counter() - t
else:
    t = time.perf_counter()
    k = 0
    while True:
        loss = step(*sl(warmup + k))
        k += 1
        if time.perf_counter() - t >= min_seconds:
            break
    steps, seconds = k, time.perf_counter() - t
per = seconds / steps
print(json.dumps({"batch": batch, "steps": steps, "seconds_per_step": per,
                  "events_per_second": batch / per, "final_loss": loss.item(),
                  "torch": torch.__version__}))
"""


def fail(msg):
    print(f"train_bench: error: {msg}", file=sys.stderr)
    sys.exit(2)


def last_json(out, who):
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    fail(f"{who} printed no JSON line:\n{out}")


def run_torch(args, batch, epoch=0, hist=False):
    cmd = [args.python, "-c", TORCH_WORKER, str(batch), str(args.threads),
           str(args.min_seconds), "10", str(epoch)] + (["hist"] if hist else [])
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        fail(f"the torch worker failed:\n{p.stderr}")
    return last_json(p.stdout, "the torch worker")


def run_rootgrad(args, batch, epoch=0, hist=False):
    cmd = [args.train_step, str(batch), "--min-seconds", str(args.min_seconds)]
    if epoch:
        cmd += ["--hist-epoch" if hist else "--epoch", str(epoch)]
    cmd += args.rootgrad_args
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        fail(f"{shlex.join(cmd)} failed:\n{p.stderr}")
    return last_json(p.stdout, "train_step")


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()}-CPU {model}, {platform.system()} {platform.release()}"


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?"] * 3


def series(args, label, batch, epoch=0, hist=False):
    runs = {"torch": [], "rootgrad": []}
    run_torch(args, batch, epoch) if not epoch else None  # warm-up (epoch: skipped, long)
    run_rootgrad(args, batch, epoch) if not epoch else None
    for _ in range(args.reps):
        runs["torch"].append(run_torch(args, batch, epoch, hist))
        runs["rootgrad"].append(run_rootgrad(args, batch, epoch, hist))
    kind = "hist-epoch" if hist else "epoch" if epoch else "step"
    row = {"label": label, "kind": kind, "batch": batch, "runs": runs,
           "loadavg_after": loadavg()}
    for side in runs:
        eps = [r["events_per_second"] for r in runs[side]]
        row[side] = {"median": statistics.median(eps), "min": min(eps), "max": max(eps)}
    row["ratio"] = row["rootgrad"]["median"] / row["torch"]["median"]
    m = lambda s: f'{row[s]["median"] / 1e6:.2f} ({row[s]["min"] / 1e6:.2f}-{row[s]["max"] / 1e6:.2f})'
    print(f"| {label} | {m('torch')} | {m('rootgrad')} | **{row['ratio']:.2f}x** | "
          f"{' '.join(row['loadavg_after'])} |", flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="256,1024,4096,65536")
    ap.add_argument("--min-seconds", type=float, default=0.5)
    ap.add_argument("--epoch", action="store_true",
                    help="also one epoch of 2,000,000 events at each of --epoch-batches")
    ap.add_argument("--epoch-batches", default="1024",
                    help="batch sizes of the --epoch rows (default: %(default)s)")
    ap.add_argument("--hist-epoch", action="store_true",
                    help="also that epoch with the histogram loss on (a domain batch each step)")
    ap.add_argument("--python", default=sys.executable, help="the python with torch")
    ap.add_argument("--train-step", default=None, help="an already built train_step binary")
    ap.add_argument("--rootgrad-args", default="", help="extra arguments for train_step, e.g. --separate")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    args.rootgrad_args = shlex.split(args.rootgrad_args)
    if args.train_step is None:
        b = subprocess.run(["cargo", "build", "--release", "--example", "train_step"], cwd=REPO)
        if b.returncode != 0:
            fail("cargo build --release --example train_step failed")
        args.train_step = str(REPO / "target" / "release" / "examples" / "train_step")
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                         capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    start = datetime.datetime.now(datetime.timezone.utc)
    print(f"# training step: forward, weighted BCE, backward, Adam; 30-[64,64,64]-1 ReLU, float32")
    print(f"# {start:%Y-%m-%d %H:%M} UTC; {machine()}; Python {platform.python_version()}")
    print(f"# rootgrad {git}{' (uncommitted changes)' if dirty else ''}; threads {args.threads}; "
          f"load before {' '.join(loadavg())}")
    print(f"# command: {shlex.join(sys.argv)}")
    print("| batch | PyTorch M ev/s median (min-max) | rootgrad M ev/s median (min-max) | ratio | load after |")
    print("|---|---|---|---|---|")
    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        rows.append(series(args, str(batch), batch))
    if args.epoch:
        for b in [int(b) for b in args.epoch_batches.split(",")]:
            rows.append(series(args, f"epoch 2M @{b}", b, epoch=2_000_000))
    if args.hist_epoch:
        rows.append(series(args, "hist-epoch 2M @1024 (BCE + histogram loss, domain batch 2 x 1024)",
                           1024, epoch=2_000_000, hist=True))
    torch_v = rows[0]["runs"]["torch"][0].get("torch", "?")
    print(f"# torch {torch_v}; finished {datetime.datetime.now(datetime.timezone.utc):%H:%M} UTC")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": start.isoformat(), "machine": machine(), "git": git,
                       "dirty": bool(dirty), "torch": torch_v, "threads": args.threads,
                       "command": shlex.join(sys.argv), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
