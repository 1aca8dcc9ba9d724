"""Golden values for src/metrics/correlation.rs, checked by
validation/metrics/correlation.rs. Run from the project root with the reference venv:

    /work/venv-all/bin/python validation/correlation_golden.py   (or any python with
    numpy, scipy, scikit-learn, mpmath)

writes validation/data/metrics/correlation.json.

- weighted_correlation: the weighted Pearson matrix written out in numpy from its
  formula (means, then covariances, each a weighted sum over the events divided by the
  sum of weights; rho = C_kl / sqrt(C_kk C_ll)). np.cov refuses negative weights, so it
  is only a cross-check where the weights are positive (np.cov(aweights=...)) and
  np.corrcoef where they are one. A column of zero variance gives NaN row and column.
- conditional_agreement: events split by np.searchsorted over the conditioning edges
  (lo <= c < hi, the last bin includes its upper edge, outside left out), then per bin
  the weighted KS distance (metrics_golden.ks_weighted, equal to scipy.stats.ks_2samp
  for unit weights, checked here) and the chi2 test of the normalised histograms
  (metrics_golden_more.fill / chi2_test, p-value from scipy.stats.chi2.sf).
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_golden import ks_weighted, nlo_weights, pack, sweights  # noqa: E402
from metrics_golden_more import chi2_test, fill  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "metrics")


def correlation(cols, w):
    cols = [np.asarray(c, dtype=np.float64) for c in cols]
    sw = float(np.sum(w))
    means = [float(np.sum(w * c)) / sw for c in cols]
    k = len(cols)
    cov = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            cov[a, b] = float(np.sum(w * (cols[a] - means[a]) * (cols[b] - means[b]))) / sw
    rho = np.full((k, k), np.nan)
    for a in range(k):
        for b in range(k):
            if cov[a, a] > 0 and cov[b, b] > 0:
                rho[a, b] = 1.0 if a == b else cov[a, b] / np.sqrt(cov[a, a] * cov[b, b])
    return rho


def correlated(rng, n, k, rho):
    """k columns of n events with a common factor (pairwise correlation about rho) and
    different scales and offsets."""
    common = rng.normal(size=n)
    cols = []
    for j in range(k):
        z = np.sqrt(rho) * common + np.sqrt(1 - rho) * rng.normal(size=n)
        cols.append(np.round((j + 1) * 0.01 * z + 3.0 * j, 6))
    return cols


def corr_case(name, cols, w):
    rho = correlation(cols, w)
    if w is not None and np.all(w > 0):
        ref = np.cov(np.vstack(cols), aweights=w)
        d = np.sqrt(np.diag(ref))
        ok = np.isfinite(rho)
        assert np.allclose(rho[ok], (ref / np.outer(d, d))[ok], rtol=1e-12, atol=1e-14), name
    print(f"  correlation {name}: rho[0][1] = {rho[0][1]:.15g}")
    return {
        "name": name,
        "columns": [pack(c) for c in cols],
        "weights": pack(w),
        "rho": [pack(r) for r in rho],
    }


def cond_case(name, dx, dc, dw, mx, mc, mw, cond_edges, x_edges):
    cond_edges = np.asarray(cond_edges, dtype=np.float64)
    x_edges = np.asarray(x_edges, dtype=np.float64)

    def bins_of(c):
        nb = len(cond_edges) - 1
        idx = np.searchsorted(cond_edges, c, side="right") - 1
        idx[c == cond_edges[-1]] = nb - 1
        return idx

    di, mi = bins_of(dc), bins_of(mc)
    bins = []
    for b in range(len(cond_edges) - 1):
        a, wa = dx[di == b], dw[di == b]
        m, wm = mx[mi == b], mw[mi == b]
        entry = {"data_events": int(len(a)), "mc_events": int(len(m))}
        if np.sum(wa) > 0 and np.sum(wm) > 0:
            ks = ks_weighted(a, wa, m, wm)
            if np.all(wa == 1) and np.all(wm == 1):
                ref = float(scipy.stats.ks_2samp(a, m).statistic)
                assert abs(ks - ref) <= 1e-14, (name, b, ks, ref)
            hd, hd2 = fill(x_edges, a, wa, False)
            hm, hm2 = fill(x_edges, m, wm, False)
            chi2, ndf, p, *_ = chi2_test(hd, hd2, hm, hm2, True)
            entry.update({"ks": pack([ks]), "chi2": pack([chi2]), "ndf": ndf,
                          "p_value": pack([p])})
        bins.append(entry)
    print(f"  conditional {name}: {[b.get('ks') for b in bins]}")
    return {
        "name": name,
        "data": {"x": pack(dx), "cond": pack(dc), "w": pack(dw)},
        "mc": {"x": pack(mx), "cond": pack(mc), "w": pack(mw)},
        "cond_edges": pack(cond_edges),
        "x_edges": pack(x_edges),
        "bins": bins,
    }


def main():
    rng = np.random.default_rng(20261206)
    corr = []
    cols = correlated(rng, 1000, 5, 0.5)
    w = np.ones(1000)
    assert np.allclose(correlation(cols, w), np.corrcoef(np.vstack(cols)), rtol=1e-12)
    corr.append(corr_case("unit weights, 5 columns", cols, w))
    corr.append(corr_case("positive weights", correlated(rng, 1500, 3, 0.3),
                          np.round(rng.uniform(0.2, 2.0, 1500), 4)))
    corr.append(corr_case("NLO-like signed weights", correlated(rng, 2000, 4, 0.6),
                          nlo_weights(rng, 2000)))
    corr.append(corr_case("sWeight-like signed weights", correlated(rng, 3000, 3, 0.2),
                          sweights(rng, 3000)))
    cols = correlated(rng, 50, 2, 0.5)
    corr.append(corr_case("a constant column", [cols[0], np.full(50, 2.5), cols[1]],
                          np.ones(50)))

    cond = []
    edges = [0.0, 0.8, 1.5, 2.5, 3.0]   # nothing above 2.5: the last bin is empty
    x_edges = np.linspace(-3, 3, 21)
    for label, weighted in (("unit weights", False), ("signed weights", True)):
        n = 4000
        dc = np.round(rng.uniform(0, 2.5, n), 6)
        dx = np.round(rng.normal(0.3 * dc, 1.0), 6)
        mc = np.round(rng.uniform(0, 2.5, n), 6)
        mx = np.round(rng.normal(0.1, 1.0, n), 6)
        dw = sweights(rng, n) if weighted else np.ones(n)
        mw = nlo_weights(rng, n) if weighted else np.ones(n)
        # edge values exactly on bin edges
        dc[:3] = [0.8, 1.5, 2.5]
        cond.append(cond_case(label, dx, dc, dw, mx, mc, mw, edges, x_edges))

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "correlation.json")
    with open(path, "w") as f:
        json.dump({"script": "validation/correlation_golden.py",
                   "versions": {"numpy": np.__version__, "scipy": scipy.__version__},
                   "correlation": corr, "conditional": cond}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
