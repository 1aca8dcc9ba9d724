"""Goldens for `rootgrad reweight` and `rootgrad morph` (validation/reweight.rs).

Plain numpy (and scikit-learn's IsotonicRegression for the negative-weight rule):

- weighted empirical CDFs: distinct values (np.unique), tie weights summed, running
  cumulative fraction C_j divided by the total weight, the isotonic least-squares fit of
  C (equal weight per distinct value) clipped to [0, 1]; F(x) at a grid (right-continuous
  step, 0 below the smallest value), the generalised inverse Q(p) (smallest value with
  F >= p, the largest value when none) and the morph T(x) = Q_data(F_mc(x));
- the reweighting factor rw = min(exp(z), max_weight), the normalisation constant for
  "mc" (sum w rw c = sum w over events with a finite factor) and "data" (= data total),
  and the balanced training scales (N_d + N_m) / 2 / W.

Run: /work/venv/bin/python validation/reweight_golden.py
Writes validation/data/reweight/golden.json.
"""

import json
import os

import numpy as np
from sklearn.isotonic import IsotonicRegression


def cdf(x, w):
    values, inverse = np.unique(x, return_inverse=True)
    u = np.zeros(len(values))
    np.add.at(u, inverse, w)  # in input order, as a stable sort keeps ties
    cum = np.cumsum(u)
    total = cum[-1]
    raw = cum / total
    iso = IsotonicRegression(increasing=True).fit_transform(np.arange(len(raw)), raw)
    return values, raw, np.clip(iso, 0.0, 1.0), total


def cdf_at(values, F, x):
    k = np.searchsorted(values, x, side="right")
    return np.where(k == 0, 0.0, F[np.maximum(k - 1, 0)])


def quantile(values, F, p):
    k = np.searchsorted(F, p, side="left")
    return values[np.minimum(k, len(values) - 1)]


def case(name, xd, wd, xm, wm, grid):
    vd, rd, fd, td = cdf(xd, wd)
    vm, rm, fm, tm = cdf(xm, wm)
    f_grid = cdf_at(vm, fm, grid)
    t_grid = quantile(vd, fd, f_grid)
    return {
        "name": name,
        "data_x": xd.tolist(),
        "data_w": wd.tolist(),
        "mc_x": xm.tolist(),
        "mc_w": wm.tolist(),
        "mc_values": vm.tolist(),
        "mc_raw": rm.tolist(),
        "mc_cdf": fm.tolist(),
        "mc_total": float(tm),
        "data_values": vd.tolist(),
        "data_cdf": fd.tolist(),
        "grid": grid.tolist(),
        "mc_cdf_at_grid": f_grid.tolist(),
        "morph_at_grid": t_grid.tolist(),
    }


def main():
    rng = np.random.default_rng(20261124)
    cases = []
    # positive weights
    xd = rng.normal(0.3, 1.1, 400)
    wd = rng.uniform(0.5, 1.5, 400)
    xm = rng.normal(0.0, 1.0, 600)
    wm = rng.uniform(0.2, 2.0, 600)
    grid = np.concatenate([np.linspace(-4, 4, 81), xm[:50]])
    cases.append(case("positive", xd, wd, xm, wm, grid))
    # NLO-like simulation (25% negative), sWeight-like data (some negative), ties
    xd = np.round(rng.normal(0.2, 1.0, 500), 1)
    wd = rng.normal(1.0, 0.6, 500)
    xm = np.round(rng.normal(0.0, 1.2, 800), 1)
    wm = np.where(rng.uniform(size=800) < 0.25, -1.0, 1.0) * rng.uniform(0.5, 1.5, 800)
    grid = np.concatenate([np.linspace(-5, 5, 101), np.unique(xm)])
    cases.append(case("negative", xd, wd, xm, wm, grid))
    # cumulative leaving [0, 1] at both ends
    xd = np.array([0.0, 1.0, 2.0, 3.0])
    wd = np.array([1.0, 1.0, 1.0, 1.0])
    xm = np.array([0.5, 1.5, 2.5, 3.5, 4.5])
    wm = np.array([-1.0, 3.0, 0.5, -0.8, 0.3])
    grid = np.linspace(0, 5, 21)
    cases.append(case("outside", xd, wd, xm, wm, grid))

    # reweighting maths
    z = rng.normal(0.0, 1.5, 200).astype(np.float32).astype(np.float64)
    w = np.where(rng.uniform(size=200) < 0.2, -1.0, 1.0) * rng.uniform(0.5, 1.5, 200)
    max_weight = 3.0
    rw = np.minimum(np.exp(z), max_weight)
    rw_free = np.exp(z)
    data_total = 173.25
    c_mc = w.sum() / (w * rw).sum()
    c_data = data_total / (w * rw).sum()
    n_d, w_d, n_m, w_m = 400, 350.5, 700, 612.25
    half = (n_d + n_m) / 2
    golden = {
        "cdf_cases": cases,
        "reweight": {
            "z": z.tolist(),
            "w": w.tolist(),
            "max_weight": max_weight,
            "rw": rw.tolist(),
            "rw_uncapped": rw_free.tolist(),
            "data_total": data_total,
            "c_mc": c_mc,
            "c_data": c_data,
            "weight_rw_mc": (w * rw * c_mc).tolist(),
            "balance_in": [n_d, w_d, n_m, w_m],
            "balance": [half / w_d, half / w_m],
        },
    }
    out = os.path.join(os.path.dirname(__file__), "data", "reweight", "golden.json")
    with open(out, "w") as f:
        json.dump(golden, f)
    print("wrote", out)


if __name__ == "__main__":
    main()
