#!/usr/bin/env python3
"""Golden values for rootgrad's loss terms (src/loss/), computed by PyTorch autograd.

Builds, in float64, a classification batch of 64 events (logits spread over (-4, 4),
labels, signed MC weights with a quarter negative, masses, a mass adversary's
predictions) and a domain batch of 48 events (20 data events with sWeights, some
negative; 28 simulated events with signed MC weights; the classifier's logits and a
domain head's logits), plus a training background of 500 masses with signed weights from
which equal-population mass bins are placed. Every term is written with torch ops exactly
as docs/maths.md (losses) defines it, and autograd gives the reference gradients:

- classification: L_C = N/(|B| W) sum w (softplus(z) - y z), softplus in the stable form
  (also checked here against F.binary_cross_entropy_with_logits); dL_C/dz.
- histogram: d_n(s) = relu(1 - |s - t_n| / D), t_n = n/K, D = 1/K, s = sigmoid(z);
  H^data, H^mc with their own N/(|B| W); L_H = sum (H^data - H^mc)^2; dL_H/dz.
- domain: L_D = 1/2 [norm_data sum_data w l + norm_mc sum_mc w l] on the domain logit;
  dL_D/dz_d.
- mass_adversary: L_M = N_bkg/(|B_bkg| W_bkg) sum_bkg w (p - m)^2 on the standardised
  mass m; dL_M/dp.
- flatness: H^(m) per mass bin and H^all over background events, L_F = mean over the mass
  bins populated in the batch of sum_n (H^(m)_n - H^all_n)^2; dL_F/dz. Two cases: the full
  batch, and the batch without the events of mass bin 2 (an empty bin leaves the average).

No score lies within 1e-3 / K of a node (the interpolation's kinks). Output:
validation/data/torch/loss.json, compared by validation/loss.rs.
Run: /work/venv/bin/python validation/torch_loss.py
"""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
K = 10  # histogram bins
M = 4  # mass bins
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "torch", "loss.json")


def away_from_nodes(g, n, lo=-4.0, hi=4.0):
    """n logits uniform in (lo, hi) whose scores are not within 1e-3 / K of a node."""
    out = []
    while len(out) < n:
        z = lo + (hi - lo) * torch.rand(1, generator=g).item()
        u = torch.sigmoid(torch.tensor(z)).item() * K
        if abs(u - round(u)) > 1e-3:
            out.append(z)
    return torch.tensor(out)


def signed_weights(g, n, frac_negative, lo=0.2, hi=1.5):
    w = lo + (hi - lo) * torch.rand(n, generator=g)
    neg = torch.rand(n, generator=g) < frac_negative
    return torch.where(neg, -0.5 * w, w)


def softplus_stable(z):
    return z.clamp(min=0) + torch.log1p(torch.exp(-z.abs()))


def triangles(s):
    """(|B|, K + 1) matrix of d_n(s_i) = relu(1 - |s_i - t_n| / D)."""
    t = torch.arange(K + 1, dtype=torch.float64) / K
    D = 1.0 / K
    return torch.relu(1 - (s[:, None] - t).abs() / D)


def equal_population_edges(masses, weights, m):
    """The algorithm of src/loss/mass_bins.rs: running weight at the end of each run of
    equal masses, edge k after the first run reaching k W / m, halfway to the next."""
    order = np.argsort(masses, kind="stable")
    xs = masses[order]
    cum = np.cumsum(weights[order])  # sequential, in sorted order
    runs = []  # (mass, running sum at run end)
    for x, c in zip(xs, cum):
        if runs and runs[-1][0] == x:
            runs[-1] = (x, c)
        else:
            runs.append((x, c))
    total = cum[-1]
    edges, r = [], 0
    for k in range(1, m):
        level = k * total / m
        while r < len(runs) and runs[r][1] < level:
            r += 1
        a, b = runs[r][0], runs[r + 1][0]
        mid = a + (b - a) / 2.0
        edges.append(mid if mid > a else b)
    return np.array(edges)


def grad_of(loss, x):
    (g,) = torch.autograd.grad(loss, x)
    return g


def lst(t):
    return [float(v) for v in (t.tolist() if hasattr(t, "tolist") else t)]


def main():
    g = torch.Generator().manual_seed(2017)

    # ---- classification batch
    B = 64
    z = away_from_nodes(g, B).requires_grad_(True)
    y = (torch.rand(B, generator=g) < 0.4).double()
    w = signed_weights(g, B, 0.25)
    n_set, w_set = 5000, 3120.5
    norm = n_set / (B * w_set)
    l = softplus_stable(z) - y * z
    L_C = norm * (w * l).sum()
    ref = norm * F.binary_cross_entropy_with_logits(z, y, weight=w, reduction="sum")
    assert abs(L_C.item() - ref.item()) <= 1e-14 * abs(ref.item())
    dz_C = grad_of(L_C, z)

    # ---- training background and mass bins (masses in GeV)
    n_train = 500
    train_mass = (1780.0 + 60.0 * torch.randn(n_train, generator=g)).numpy()
    train_w = signed_weights(g, n_train, 0.2).numpy()
    edges = equal_population_edges(train_mass, train_w, M)
    train_bin = np.searchsorted(edges, train_mass, side="right")
    n_bin = [int((train_bin == m).sum()) for m in range(M)]
    w_bin = [float(np.sum(train_w[train_bin == m])) for m in range(M)]
    n_all, w_all = n_train, float(np.cumsum(train_w)[-1])
    mean = float(np.sum(train_w * train_mass) / w_all)
    std = float(np.sqrt(np.sum(train_w * (train_mass - mean) ** 2) / w_all))

    # ---- mass adversary on the classification batch's background
    mass = 1780.0 + 70.0 * torch.randn(B, generator=g)
    target = (mass - mean) / std  # the standardised mass
    p = (target + 0.7 * torch.randn(B, generator=g)).requires_grad_(True)
    bkg = y == 0
    n_bkg, w_bkg = 3300, 2010.75
    norm_bkg = n_bkg / (int(bkg.sum()) * w_bkg)
    L_M = norm_bkg * (w[bkg] * (p[bkg] - target[bkg]) ** 2).sum()
    dp_M = grad_of(L_M, p)

    # ---- flatness on the classification batch's background
    batch_bin = torch.tensor(np.searchsorted(edges, mass.numpy(), side="right"))

    def flatness(zz, keep):
        s = torch.sigmoid(zz)
        d = triangles(s)
        sel = bkg & keep
        h_all = n_all / (int(sel.sum()) * w_all) * (w[sel, None] * d[sel]).sum(0)
        rows, total, populated = [], 0.0, 0
        for m in range(M):
            sm = sel & (batch_bin == m)
            cnt = int(sm.sum())
            if cnt == 0:
                rows.append(torch.zeros(K + 1))
                continue
            h = n_bin[m] / (cnt * w_bin[m]) * (w[sm, None] * d[sm]).sum(0)
            rows.append(h)
            total = total + ((h - h_all) ** 2).sum()
            populated += 1
        return total / populated, torch.stack(rows), h_all

    keep_all = torch.ones(B, dtype=torch.bool)
    L_F, hf_bins, hf_all = flatness(z, keep_all)
    dz_F = grad_of(L_F, z)
    keep_sparse = batch_bin != 2
    L_Fs, hfs_bins, hfs_all = flatness(z, keep_sparse)
    dz_Fs = grad_of(L_Fs, z)

    # ---- domain batch: data (label 1, sWeights) then simulation (label 0, MC weights)
    n_d, n_m = 20, 28
    label = torch.cat([torch.ones(n_d), torch.zeros(n_m)])
    perm = torch.randperm(n_d + n_m, generator=g)  # interleave the domains
    label = label[perm]
    data = label == 1
    sweight = -0.6 + 2.0 * torch.rand(n_d + n_m, generator=g)  # sWeights, some negative
    mcw = signed_weights(g, n_d + n_m, 0.25)
    wd = torch.where(data, sweight, mcw)
    zc = away_from_nodes(g, n_d + n_m).requires_grad_(True)  # classifier logits
    zd = (-4.0 + 8.0 * torch.rand(n_d + n_m, generator=g)).requires_grad_(True)
    N_data, W_data, N_mc, W_mc = 800, 310.25, 1200, 987.5
    norm_data = N_data / (n_d * W_data)
    norm_mc = N_mc / (n_m * W_mc)

    d = triangles(torch.sigmoid(zc))
    h_data = norm_data * (wd[data, None] * d[data]).sum(0)
    h_mc = norm_mc * (wd[~data, None] * d[~data]).sum(0)
    L_H = ((h_data - h_mc) ** 2).sum()
    dz_H = grad_of(L_H, zc)

    ld = softplus_stable(zd) - label * zd
    L_D = 0.5 * (norm_data * (wd[data] * ld[data]).sum() + norm_mc * (wd[~data] * ld[~data]).sum())
    dz_D = grad_of(L_D, zd)

    out = {
        "script": "validation/torch_loss.py",
        "torch": torch.__version__,
        "bins": K,
        "classification_batch": {
            "z": lst(z.detach()),
            "y": lst(y),
            "w": lst(w),
            "mass": lst(mass),
            "n_set": n_set,
            "w_set": w_set,
        },
        "domain_batch": {
            "z": lst(zc.detach()),
            "z_d": lst(zd.detach()),
            "label": lst(label),
            "w": lst(wd),
            "n_data": N_data,
            "w_data": W_data,
            "n_mc": N_mc,
            "w_mc": W_mc,
        },
        "training_background": {
            "mass": lst(train_mass),
            "w": lst(train_w),
            "mass_bins": M,
            "edges": lst(edges),
            "n_bin": n_bin,
            "w_bin": w_bin,
            "mean": mean,
            "std": std,
        },
        "terms": {
            "classification": {"loss": L_C.item(), "dz": lst(dz_C)},
            "histogram": {
                "loss": L_H.item(),
                "dz": lst(dz_H),
                "h_data": lst(h_data.detach()),
                "h_mc": lst(h_mc.detach()),
            },
            "domain": {"loss": L_D.item(), "dz": lst(dz_D)},
            "mass_adversary": {
                "n_bkg": n_bkg,
                "w_bkg": w_bkg,
                "p": lst(p.detach()),
                "target": lst(target),
                "loss": L_M.item(),
                "dp": lst(dp_M),
            },
            "flatness": {
                "loss": L_F.item(),
                "dz": lst(dz_F),
                "h_bins": lst(hf_bins.detach().flatten()),
                "h_all": lst(hf_all.detach()),
            },
            "flatness_without_mass_bin_2": {
                "keep": [bool(k) for k in keep_sparse.tolist()],
                "loss": L_Fs.item(),
                "dz": lst(dz_Fs),
                "h_bins": lst(hfs_bins.detach().flatten()),
                "h_all": lst(hfs_all.detach()),
            },
        },
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")
    for name, t in out["terms"].items():
        print(f"  {name}: {t['loss']:.6g}")


if __name__ == "__main__":
    main()
