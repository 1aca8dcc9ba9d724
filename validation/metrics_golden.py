#!/usr/bin/env python3
"""Golden values for rootgrad's metrics (src/metrics/): weighted ROC AUC and the
weighted Kolmogorov-Smirnov distance, from scikit-learn, scipy and plain numpy.

Every array (and every expected value) is stored as one string of space-separated
shortest round-trip decimals (see `pack`), which Rust parses exactly.

AUC (validation/data/metrics/auc.json). Each case stores scores, labels (0/1) and
weights (null for unit weights) and the expected area:

- where scikit-learn's `roc_auc_score(y, s, sample_weight=w)` returns a number, that
  number ("reference": "sklearn.roc_auc_score");
- where it refuses (negative weights in the negative class can make the false-positive
  fraction step backwards, and `sklearn.metrics.auc` then raises "x is neither
  increasing nor decreasing"), the trapezoid sum over scikit-learn's own curve,
  `numpy.trapezoid(tpr, fpr)` with `(fpr, tpr) = roc_curve(y, s, sample_weight=w)`
  ("reference": "trapezoid of sklearn.roc_curve"). This is the number rootgrad gives.

Every AUC is cross-checked here against an independent pair-counting form,
AUC = sum_{i pos, j neg} w_i w_j ([s_i > s_j] + [s_i == s_j] / 2) / (W_pos W_neg).
Two cases also store scikit-learn's full curve (`drop_intermediate=False`) for
rootgrad's `roc_curve`.

KS (validation/data/metrics/ks.json). D = max over distinct thresholds t of
|S_data(t) - S_mc(t)|, S(t) = sum_{s >= t} w / sum w, ties across both samples merged.
For unit weights the expected value is `scipy.stats.ks_2samp(a, b).statistic`; for
weighted cases it is `ks_weighted` below, written from the formula and checked against
scipy on every unit-weight case.

The two largest cases (10^5 events) are not stored: their events come from a
splitmix64 generator written out below and in validation/metrics.rs using only
operations IEEE 754 rounds the same way everywhere (64-bit integer arithmetic, products
by powers of two, floor, one sqrt, single adds and multiplies, no fused multiply-add),
so both sides build the same bits; a checksum of the events is stored so the Rust test
can tell a generator mismatch from a metric bug.

The truncated AUC, CvM flatness, chi2 test, chi2 survival function and efficiencies
are made by validation/metrics_golden_more.py, called at the end of `main`.

Run: /work/venv/bin/python validation/metrics_golden.py
"""

import json
import os
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import roc_auc_score, roc_curve

from metrics_golden_more import more_goldens

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "metrics")
MASK = (1 << 64) - 1


class SplitMix64:
    """splitmix64 (Steele, Lea, Flood 2014); uniform() = top 53 bits / 2^53."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return float(self.next() >> 11) * 2.0**-53


def big_auc_events(seed, n):
    """Labels ~1/2 each; signal score floor(sqrt(u) 4096) / 4096, background
    floor(u 4096) / 4096 (4096 levels, many ties); weights: 15% -(0.25 + u), else
    0.5 + u (NLO-like)."""
    g = SplitMix64(seed)
    s, y, w = np.empty(n), np.empty(n, dtype=np.int64), np.empty(n)
    for i in range(n):
        label = g.next() >> 63
        u = g.uniform()
        x = np.sqrt(u) if label == 1 else u
        s[i] = np.floor(x * 4096.0) / 4096.0
        y[i] = label
        neg = g.uniform() < 0.15
        u = g.uniform()
        w[i] = -(0.25 + u) if neg else 0.5 + u
    return s, y, w


def big_ks_events(seed, n_data, n_mc):
    """Data: score floor((u1 + u2) / 2 4096) / 4096, sWeight-like 1.5 u - 0.3 (a fifth
    negative). Simulation: floor(u 4096) / 4096, 12% of weights -(0.25 + u), else 0.5 + u."""
    g = SplitMix64(seed)
    ds, dw = np.empty(n_data), np.empty(n_data)
    for i in range(n_data):
        u1 = g.uniform()
        u2 = g.uniform()
        ds[i] = np.floor((u1 + u2) / 2.0 * 4096.0) / 4096.0
        dw[i] = 1.5 * g.uniform() - 0.3
    ms, mw = np.empty(n_mc), np.empty(n_mc)
    for i in range(n_mc):
        ms[i] = np.floor(g.uniform() * 4096.0) / 4096.0
        neg = g.uniform() < 0.12
        u = g.uniform()
        mw[i] = -(0.25 + u) if neg else 0.5 + u
    return ds, dw, ms, mw


def checksum(*arrays):
    """Plain sequential sums, one per array, as the Rust test computes them."""
    return pack([np.cumsum(a.astype(np.float64))[-1] for a in arrays])


def pack(values):
    """Numbers as one string, shortest round-trip decimals separated by spaces. Rust's
    `str::parse::<f64>` reads these exactly, while serde_json's default number parser
    may land one ulp off; the form is also smaller than a JSON array."""
    return " ".join(repr(float(v)) for v in values)


# ---------------------------------------------------------------- AUC references


def auc_pairs(s, y, w):
    """Independent AUC: for each positive event, the negative weight strictly below its
    score plus half the negative weight at its score (sorted negatives, searchsorted)."""
    pos, neg = y == 1, y == 0
    sn, wn = s[neg], w[neg]
    order = np.argsort(sn, kind="stable")
    sn, wn = sn[order], wn[order]
    cum = np.concatenate([[0.0], np.cumsum(wn)])
    lo = np.searchsorted(sn, s[pos], side="left")
    hi = np.searchsorted(sn, s[pos], side="right")
    below = cum[lo]
    tied = cum[hi] - cum[lo]
    num = np.sum(w[pos] * (below + 0.5 * tied))
    return float(num / (np.sum(w[pos]) * np.sum(wn)))


def auc_case(name, s, y, w, curve=False):
    weights = np.ones(len(s)) if w is None else w
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an UndefinedMetricWarning is a bad case here
        try:
            value = float(roc_auc_score(y, s, sample_weight=w))
            reference = "sklearn.roc_auc_score"
        except ValueError as e:
            assert "neither increasing nor decreasing" in str(e), e
            fpr, tpr, _ = roc_curve(y, s, sample_weight=w)
            value = float(np.trapezoid(tpr, fpr))
            reference = "trapezoid of sklearn.roc_curve (roc_auc_score refuses: fpr steps back)"
    check = auc_pairs(s, y, weights)
    assert abs(value - check) <= 1e-12 * max(abs(value), 1.0), (name, value, check)
    case = {
        "name": name,
        "reference": reference,
        "auc": pack([value]),
        "scores": pack(s),
        "labels": " ".join(str(int(v)) for v in y),
        "weights": None if w is None else pack(w),
    }
    if curve:
        fpr, tpr, thr = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        case["curve"] = {"fpr": pack(fpr), "tpr": pack(tpr), "thresholds": pack(thr)}
    print(f"  auc {name}: {value:.15g} ({reference.split(' (')[0]})")
    return case


# ---------------------------------------------------------------- KS references


def ks_weighted(a, wa, b, wb):
    """D = max over the distinct values t of both samples of |S_a(t) - S_b(t)|, where
    S(t) = (sum of the weights of the events with s >= t) / (sum of all weights). Each
    sample is sorted by descending score (ties in input order), its weights summed
    sequentially in that order, and S(t) read at the last event with s >= t; the total
    is the last partial sum."""

    def survival(s, w, t):
        order = np.argsort(-s, kind="stable")
        cum = np.cumsum(w[order])
        total = cum[-1]
        assert total > 0
        # number of events with s >= t, i.e. -s <= -t
        k = np.searchsorted(np.sort(-s, kind="stable"), -t, side="right")
        return np.where(k > 0, cum[np.maximum(k - 1, 0)], 0.0) / total

    t = np.unique(np.concatenate([a, b]))
    return float(np.max(np.abs(survival(a, wa, t) - survival(b, wb, t))))


def ks_case(name, a, wa, b, wb):
    if wa is None and wb is None:
        value = float(scipy.stats.ks_2samp(a, b).statistic)
        reference = "scipy.stats.ks_2samp"
        ours = ks_weighted(a, np.ones(len(a)), b, np.ones(len(b)))
        assert abs(value - ours) <= 1e-14, (name, value, ours)
    else:
        value = ks_weighted(a, wa, b, wb)
        reference = "numpy ks_weighted (this script)"
    print(f"  ks {name}: {value:.15g} ({reference})")
    return {
        "name": name,
        "reference": reference,
        "ks": pack([value]),
        "data_scores": pack(a),
        "data_weights": None if wa is None else pack(wa),
        "mc_scores": pack(b),
        "mc_weights": None if wb is None else pack(wb),
    }


def nlo_weights(rng, n, frac=0.15):
    w = rng.uniform(0.5, 1.5, n)
    return np.round(np.where(rng.uniform(size=n) < frac, -0.6 * w, w), 4)


def sweights(rng, n):
    """sPlot-like: mostly near 1, a tail of large negative weights, positive sum."""
    w = rng.normal(0.8, 0.5, n)
    big = rng.uniform(size=n) < 0.05
    return np.round(np.where(big, rng.uniform(-4.0, -1.5, n), w), 4)


def main():
    rng = np.random.default_rng(20261123)
    auc = []

    def two_class(n_pos, n_neg, shift=1.0):
        s = np.concatenate([rng.normal(shift, 1.0, n_pos), rng.normal(0.0, 1.0, n_neg)])
        y = np.concatenate([np.ones(n_pos, dtype=int), np.zeros(n_neg, dtype=int)])
        p = rng.permutation(n_pos + n_neg)
        return np.round(s[p], 6), y[p]

    s, y = two_class(500, 700)
    auc.append(auc_case("random_unit_weights", s, y, None))
    auc.append(auc_case("random_positive_weights", s, y, np.round(rng.uniform(0.1, 3.0, len(s)), 6)))
    s, y = two_class(1000, 1000, 0.7)
    w = np.round(rng.uniform(0.2, 2.0, len(s)), 6)
    w[rng.choice(len(s), 30, replace=False)] = 0.0  # zero weights: no thresholds of their own
    auc.append(auc_case("ties_2_decimals", np.round(s, 2), y, w, curve=True))
    auc.append(auc_case("ties_1_decimal_unit", np.round(s, 1), y, None))
    s, y = two_class(700, 800, 0.8)
    w = nlo_weights(rng, len(s))
    w_sig = np.where(y == 1, w, np.abs(w))
    auc.append(auc_case("negative_weights_signal_only", s, y, w_sig))
    auc.append(auc_case("negative_weights_nlo", s, y, w))
    auc.append(auc_case("negative_weights_nlo_ties", np.round(s, 1), y, w, curve=True))
    s, y = two_class(1000, 1000, 1.2)
    auc.append(auc_case("sweights", np.round(s, 3), y, sweights(rng, len(s))))
    s, y = two_class(10, 10000, 1.5)
    auc.append(auc_case("unbalanced_10_vs_10000", np.round(s, 4), y, nlo_weights(rng, len(s))))
    s, y = two_class(10000, 10, -0.5)
    auc.append(auc_case("unbalanced_10000_vs_10", np.round(s, 4), y, None))
    y = np.array([1, 0, 0, 1, 0, 1, 1, 0, 0, 0])
    auc.append(auc_case("all_equal_scores", np.full(10, 0.25), y, rng.uniform(0.5, 2, 10)))
    s = np.linspace(0.0, 1.0, 40)
    y = (s > 0.5).astype(int)
    auc.append(auc_case("perfect_separator", s, y, rng.uniform(0.5, 2, 40)))
    auc.append(auc_case("perfectly_wrong", s, 1 - y, None))
    auc.append(auc_case("one_per_class", np.array([0.3, 0.7]), np.array([1, 0]), None))
    auc.append(auc_case("one_per_class_tied", np.array([0.5, 0.5]), np.array([0, 1]), np.array([2.0, 0.5])))

    seed, n = 0x5EED_A0C, 100_000
    s, y, w = big_auc_events(seed, n)
    big = auc_case("splitmix64_1e5_nlo", s, y, w)
    for k in ("scores", "labels", "weights"):
        del big[k]
    big["generator"] = {"seed": seed, "n": n, "checksum": checksum(s, y, w)}
    auc.append(big)

    ks = []
    a, b = rng.normal(0.0, 1.0, 700), rng.normal(0.15, 1.1, 900)
    ks.append(ks_case("random_unit_weights", np.round(a, 6), None, np.round(b, 6), None))
    ks.append(ks_case("ties_2_decimals_unit", np.round(a, 2), None, np.round(b, 2), None))
    ks.append(ks_case("ties_1_decimal_unit", np.round(a, 1), None, np.round(b, 1), None))
    ks.append(ks_case("unbalanced_10_vs_10000_unit", np.round(rng.normal(0.3, 1, 10), 6), None,
                      np.round(rng.normal(0, 1, 10000), 4), None))
    ks.append(ks_case("all_equal_unit", np.full(5, 0.5), None, np.full(8, 0.5), None))
    ks.append(ks_case("disjoint_unit", np.array([0.6, 0.9, 0.7]), None, np.array([0.1, 0.2]), None))
    ks.append(ks_case("one_each_unit", np.array([0.2]), None, np.array([0.8]), None))
    ks.append(ks_case("one_each_tied_unit", np.array([0.4]), None, np.array([0.4]), None))
    a, b = rng.normal(0.0, 1.0, 800), rng.normal(0.1, 1.0, 1000)
    ks.append(ks_case("positive_weights", np.round(a, 6), np.round(rng.uniform(0.2, 2, 800), 6),
                      np.round(b, 6), np.round(rng.uniform(0.2, 2, 1000), 6)))
    ks.append(ks_case("data_sweights_mc_nlo", np.round(a, 6), sweights(rng, 800),
                      np.round(b, 6), nlo_weights(rng, 1000)))
    ks.append(ks_case("data_sweights_mc_nlo_ties", np.round(a, 1), sweights(rng, 800),
                      np.round(b, 1), nlo_weights(rng, 1000)))
    ks.append(ks_case("unbalanced_10_vs_10000_nlo", np.round(rng.normal(0.3, 1, 10), 6),
                      np.round(rng.uniform(0.5, 1.5, 10), 6), np.round(rng.normal(0, 1, 10000), 4),
                      nlo_weights(rng, 10000)))

    seed, n_data, n_mc = 0x5EED_0C5, 40_000, 60_000
    ds, dw, ms, mw = big_ks_events(seed, n_data, n_mc)
    big = ks_case("splitmix64_1e5_sweights_nlo", ds, dw, ms, mw)
    for k in ("data_scores", "data_weights", "mc_scores", "mc_weights"):
        del big[k]
    big["generator"] = {"seed": seed, "n_data": n_data, "n_mc": n_mc,
                        "checksum": checksum(ds, dw, ms, mw)}
    ks.append(big)

    versions = {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}
    os.makedirs(OUT, exist_ok=True)
    for name, cases in (("auc.json", auc), ("ks.json", ks)):
        path = os.path.join(OUT, name)
        with open(path, "w") as f:
            json.dump({"script": "validation/metrics_golden.py", "versions": versions,
                       "cases": cases}, f, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    # the later metrics: their own generators, so the files above stay as they were
    more_goldens(versions)


if __name__ == "__main__":
    main()
