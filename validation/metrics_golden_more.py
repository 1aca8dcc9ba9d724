"""Golden values for the later metrics of src/metrics/, called at the end of
validation/metrics_golden.py (run that script; this one has no entry point of its own).
Arrays and expected values are packed as in that script: one string of shortest
round-trip decimals ("nan" for a missing value, "inf" for an infinite threshold).

- truncated.json: the truncated AUC of the Flavours of Physics challenge, written here
  from its formula on sklearn's `roc_curve(drop_intermediate=False)` with
  `numpy.trapezoid` (challenge thresholds 0.2/0.4/0.6/0.8, band weights 4/3/2/1/0).
- cvm.json: the challenge's CvM flatness, per ../shared/flavours/README.md, on the real
  file's mass (../shared/flavours/check_correlation.csv, read, never copied) and on small
  synthetic cases. Each case is computed twice: literally in floating point (numpy) and
  exactly with Python integers (Fraction); the two must agree to 1e-12 and the exact one,
  rounded once, is stored.
- chi2.json: weighted histograms (numpy.searchsorted + numpy.bincount, input order) and
  the chi2 test of docs/metrics.md in plain float arithmetic, p-value from
  scipy.stats.chi2.sf.
- gamma.json: scipy.stats.chi2.sf over a grid of chi2 and ndf (checked against
  scipy.special.gammaincc(ndf / 2, chi2 / 2)).
- efficiency.json: numpy.interp on sklearn's weighted roc_curve (drop_intermediate=False).
"""

import csv
import json
import os
from fractions import Fraction

import mpmath
import numpy as np
import scipy.special
import scipy.stats
from sklearn.metrics import roc_curve

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "metrics")
FLAVOURS = os.path.join(HERE, "..", "..", "shared", "flavours", "check_correlation.csv")


def pack(values):
    return " ".join(repr(float(v)) for v in values)


def write(name, cases, versions):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"script": "validation/metrics_golden.py (metrics_golden_more.py)",
                   "versions": versions, "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


# ---------------------------------------------------------------- truncated AUC

def truncated_auc(y, s):
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    t = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    w = [4.0, 3.0, 2.0, 1.0, 0.0]
    area = [float(np.trapezoid(np.minimum(tpr, c), fpr)) for c in t]
    num, den = 0.0, 0.0
    for b in range(5):
        num += w[b] * (area[b + 1] - area[b])
        den += w[b] * (t[b + 1] - t[b])
    return num / den


def truncated_cases(rng):
    cases = []

    def add(name, s, y):
        v = truncated_auc(y, s)
        print(f"  truncated {name}: {v:.15g}")
        cases.append({"name": name, "truncated_auc": pack([v]), "scores": pack(s),
                      "labels": " ".join(str(int(v)) for v in y)})

    n_pos, n_neg = 600, 900
    x = np.concatenate([rng.normal(1.0, 1.0, n_pos), rng.normal(0.0, 1.0, n_neg)])
    y = np.concatenate([np.ones(n_pos, int), np.zeros(n_neg, int)])
    p = rng.permutation(len(y))
    s = np.round(1.0 / (1.0 + np.exp(-x[p])), 6)
    add("sigmoid_random", s, y[p])
    add("ties_2_decimals", np.round(s, 2), y[p])
    add("ties_1_decimal", np.round(s, 1), y[p])
    s = np.linspace(0.0, 1.0, 30)
    add("perfect", s, (s > 0.5).astype(int))
    add("perfectly_wrong", s, (s <= 0.5).astype(int))
    add("all_tied", np.full(8, 0.5), np.array([1, 0, 0, 1, 0, 1, 1, 0]))
    x = np.concatenate([rng.normal(2.0, 1.0, 10), rng.normal(0.0, 1.0, 5000)])
    y = np.concatenate([np.ones(10, int), np.zeros(5000, int)])
    add("unbalanced_10_vs_5000", np.round(1.0 / (1.0 + np.exp(-x)), 5), y)
    add("endpoints_0_and_1", np.array([0.0, 1.0, 1.0, 0.0, 0.5]), np.array([0, 1, 0, 1, 1]))
    return cases


# ---------------------------------------------------------------- CvM flatness

def cvm_ranks(pred, mass):
    order = np.argsort(mass, kind="stable")
    p = pred[order]
    by_p = np.argsort(p, kind="stable")
    rank = np.empty(len(p), dtype=np.int64)
    rank[by_p] = np.arange(len(p))
    return rank


def cvm_literal(pred, mass, n, step):
    """The README's steps, in floating point."""
    rank = cvm_ranks(pred, mass)
    big_n = len(rank)
    k1 = np.arange(1, big_n + 1) / big_n
    values = []
    start = 0
    while start + n <= big_n:
        s = np.cumsum(np.bincount(rank[start:start + n], minlength=big_n))
        values.append(np.sum((k1 - s / n) ** 2) / big_n)
        start += step
    return float(np.mean(values))


def cvm_exact(pred, mass, n, step):
    """The same, exactly: ((k+1)/N - S_k/n) = ((k+1) n - S_k N) / (N n)."""
    rank = cvm_ranks(pred, mass)
    big_n = len(rank)
    total, windows = 0, 0
    m = np.arange(1, big_n + 1, dtype=object)
    start = 0
    while start + n <= big_n:
        s = np.cumsum(np.bincount(rank[start:start + n], minlength=big_n)).astype(object)
        total += int(np.sum((m * n - s * big_n) ** 2))
        windows += 1
        start += step
    return float(Fraction(total, windows * big_n**3 * n**2))


def read_flavours():
    with open(FLAVOURS, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cols = {h: np.array([float(r[i]) for r in rows[1:]]) for i, h in enumerate(header)}
    return cols


def cvm_cases(rng):
    cases = []

    def add(name, pred, mass, spec, n=200, step=50, source=None):
        exact = cvm_exact(pred, mass, n, step)
        literal = cvm_literal(pred, mass, n, step)
        assert abs(exact - literal) <= 1e-12 * exact, (name, exact, literal)
        print(f"  cvm {name}: {exact:.15g}")
        case = {"name": name, "n_neighbours": n, "step": step, "cvm": pack([exact]),
                "prediction": spec}
        if source is None:
            case["mass"] = pack(mass)
        else:
            case["source"] = source
        cases.append(case)

    if os.path.exists(FLAVOURS):
        cols = read_flavours()
        mass = cols["mass"]
        big_n = len(mass)
        src = "check_correlation.csv"
        u = np.round(rng.uniform(size=big_n), 6)
        add("real_mass_random_uniform", u, mass, {"values": pack(u)}, source=src)
        add("real_mass_constant", np.full(big_n, 0.5), mass, {"constant": 0.5}, source=src)
        add("real_mass_monotone", mass, mass, {"column": "mass"}, source=src)
        sculpt = np.round(np.exp(-(((mass - 1777.0) / 25.0) ** 2)) + 0.3 * rng.uniform(size=big_n), 6)
        add("real_mass_sculpting", sculpt, mass, {"values": pack(sculpt)}, source=src)
        for col in ("IPSig", "LifeTime", "SPDhits", "p0_IsoBDT", "dira"):
            add(f"real_column_{col}", cols[col], mass, {"column": col}, source=src)
        add("real_column_IPSig_n100_step25", cols["IPSig"], mass, {"column": "IPSig"},
            n=100, step=25, source=src)
        add("real_column_pt_n1000_step333", cols["pt"], mass, {"column": "pt"},
            n=1000, step=333, source=src)
    else:
        print(f"  cvm: {FLAVOURS} not found; only the synthetic cases")

    m = np.round(rng.uniform(1700.0, 1850.0, 500), 1)  # many repeated masses
    p = np.round(rng.uniform(size=500), 2)  # many tied predictions
    add("synthetic_ties_500", p, m, {"values": pack(p)}, n=50, step=10)
    m = np.arange(12, dtype=float)[::-1].copy()
    p = np.array([3.0, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8])
    add("synthetic_12_window_5_step_3", p, m, {"values": pack(p)}, n=5, step=3)
    add("synthetic_one_window_all", p, m, {"values": pack(p)}, n=12, step=1)
    return cases


# ---------------------------------------------------------------- chi2

def fill(edges, v, w, fold):
    nb = len(edges) - 1
    idx = np.searchsorted(edges, v, side="right") - 1
    idx[v == edges[-1]] = nb - 1
    if fold:
        idx = np.clip(idx, 0, nb - 1)
    else:
        keep = (idx >= 0) & (idx < nb)
        idx, v, w = idx[keep], v[keep], w[keep]
    return np.bincount(idx, weights=w, minlength=nb), np.bincount(idx, weights=w * w, minlength=nb)


def chi2_test(dw, dw2, mw, mw2, normalise):
    big_d = float(np.cumsum(dw)[-1]) if normalise else 1.0
    big_m = float(np.cumsum(mw)[-1]) if normalise else 1.0
    chi2, used = 0.0, 0
    bins, ratio, ratio_err = [], [], []
    for i in range(len(dw)):
        if normalise:
            a, va = dw[i] / big_d, dw2[i] / (big_d * big_d)
            b, vb = mw[i] / big_m, mw2[i] / (big_m * big_m)
        else:
            a, va, b, vb = dw[i], dw2[i], mw[i], mw2[i]
        var = va + vb
        c = 0.0
        if var > 0.0:
            c = (a - b) * (a - b) / var
            chi2 += c
            used += 1
        bins.append(c)
        if b != 0.0:
            r = a / b
            ratio.append(r)
            ratio_err.append(np.sqrt(va + r * r * vb) / abs(b))
        else:
            ratio.append(float("nan"))
            ratio_err.append(float("nan"))
    ndf = used - 1 if normalise else used
    return chi2, ndf, float(scipy.stats.chi2.sf(chi2, ndf)), bins, ratio, ratio_err


def chi2_cases(rng):
    cases = []

    def add(name, edges, dv, dwts, mv, mwts, fold, normalise):
        dw, dw2 = fill(edges, dv, dwts, fold)
        mw, mw2 = fill(edges, mv, mwts, fold)
        chi2, ndf, p, bins, ratio, ratio_err = chi2_test(dw, dw2, mw, mw2, normalise)
        print(f"  chi2 {name}: chi2 {chi2:.10g} ndf {ndf} p {p:.6g}")
        cases.append({"name": name, "edges": pack(edges), "fold": fold, "normalise": normalise,
                      "data_values": pack(dv), "data_weights": pack(dwts),
                      "mc_values": pack(mv), "mc_weights": pack(mwts),
                      "data_sum_w": pack(dw), "data_sum_w2": pack(dw2),
                      "mc_sum_w": pack(mw), "mc_sum_w2": pack(mw2),
                      "chi2": pack([chi2]), "ndf": ndf, "p_value": pack([p]),
                      "per_bin_chi2": pack(bins), "ratio": pack(ratio),
                      "ratio_error": pack(ratio_err)})

    edges = np.linspace(0.0, 1.0, 21)
    d = np.round(rng.beta(2.0, 3.0, 3000), 6)
    m = np.round(rng.beta(2.1, 3.0, 8000), 6)
    ones_d, ones_m = np.ones(len(d)), np.ones(len(m))
    add("unit_weights_normalised", edges, d, ones_d, m, ones_m, False, True)
    nlo = np.round(np.where(rng.uniform(size=len(m)) < 0.15, -1.0, 1.0) * rng.uniform(0.5, 1.5, len(m)), 4)
    sw = np.round(np.where(rng.uniform(size=len(d)) < 0.05, rng.uniform(-4.0, -1.5, len(d)),
                           rng.normal(0.8, 0.5, len(d))), 4)
    add("sweights_vs_nlo", edges, d, sw, m, nlo, False, True)
    add("sweights_vs_nlo_not_normalised", edges, d, sw, m, nlo * 0.4, False, False)
    wide = np.array([-0.2, 0.0, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.2, 1.5])
    dv = np.round(rng.normal(0.4, 0.3, 2000), 5)
    mv = np.round(rng.normal(0.45, 0.3, 500), 5)
    add("uneven_edges_ignore", wide, dv, np.round(rng.uniform(0.5, 2.0, 2000), 4), mv,
        np.round(rng.uniform(0.5, 2.0, 500), 4), False, True)
    add("uneven_edges_fold", wide[1:-1], dv, np.round(rng.uniform(0.5, 2.0, 2000), 4), mv,
        np.round(rng.uniform(0.5, 2.0, 500), 4), True, True)
    # empty bins on one side or both, values on the edges, unbalanced totals
    e = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    dv = np.array([0.5, 1.0, 1.0, 2.5, 6.0, 6.0, 2.0])
    mv = np.array([0.25, 0.75, 1.5, 2.0, 2.5, 2.75, 4.5, 4.0])
    add("empty_bins_edges_unbalanced", e, dv, np.array([1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 0.0]),
        mv, np.full(8, 250.0), False, True)
    add("empty_bins_not_normalised", e, dv, np.array([1.0, 2.0, 0.5, 1.0, 1.0, 3.0, 0.0]),
        mv, np.array([1.0, -0.5, 2.0, 1.0, 0.25, 1.0, 0.5, 2.0]), False, False)
    big_d = np.round(rng.exponential(1.0, 10000), 6)
    big_m = np.round(rng.exponential(1.05, 200), 6)
    add("unbalanced_10000_vs_200", np.linspace(0.0, 5.0, 41), big_d,
        np.round(rng.uniform(0.9, 1.1, 10000), 4), big_m, np.round(rng.uniform(50, 150, 200), 3),
        True, True)
    return cases


def gamma_cases():
    mpmath.mp.dps = 40
    rows = []
    ndfs = [0.5, 1, 1.5, 2, 3, 4, 5, 7, 10, 15, 19, 20, 21, 30, 50, 100, 300, 1000, 3000,
            10000, 30000, 100000]
    fractions = [1e-3, 0.01, 0.1, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0, 1.01, 1.05, 1.1,
                 1.2, 1.5, 2.0, 3.0, 5.0, 10.0]
    for ndf in ndfs:
        xs = [ndf * f for f in fractions] + [0.5, 1.0, 3.84, 10.0, 100.0, 500.0]
        for x in xs:
            sf = float(scipy.stats.chi2.sf(x, ndf))
            q = float(scipy.special.gammaincc(ndf / 2.0, x / 2.0))
            assert sf == q or abs(sf - q) <= 1e-13 * max(sf, q), (ndf, x, sf, q)
            exact = float(mpmath.gammainc(mpmath.mpf(ndf) / 2, mpmath.mpf(x) / 2, mpmath.inf,
                                          regularized=True))
            rows.append((ndf, x, sf, exact))
    worst = max(abs(r[2] - r[3]) / r[3] for r in rows if r[3] > 1e-300)
    print(f"  gamma: {len(rows)} points; scipy vs mpmath: worst relative {worst:.3e}")
    return [{"name": "chi2_sf_grid", "ndf": pack([r[0] for r in rows]),
             "chi2": pack([r[1] for r in rows]), "sf": pack([r[2] for r in rows]),
             "sf_mpmath": pack([r[3] for r in rows])}]


# ---------------------------------------------------------------- efficiencies

def efficiency_cases(rng):
    cases = []
    b_queries = [0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.999, 1.0]
    s_queries = [0.0, 0.05, 0.5, 0.9, 0.99, 1.0]

    def add(name, s, y, w, reverse=True):
        fpr, tpr, thr = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        assert np.all(np.diff(fpr) >= 0)
        fwd = [(thr[np.searchsorted(fpr, b, side="right") - 1], np.interp(b, fpr, tpr))
               for b in b_queries]
        case = {"name": name, "scores": pack(s), "labels": " ".join(str(int(v)) for v in y),
                "weights": None if w is None else pack(w),
                "background_efficiency": pack(b_queries),
                "threshold_at_background": pack([f[0] for f in fwd]),
                "signal_efficiency_at_background": pack([f[1] for f in fwd])}
        if reverse:
            assert np.all(np.diff(tpr) >= 0)
            rev = [(thr[np.searchsorted(tpr, q, side="left")],
                    -np.interp(-q, -tpr[::-1], -fpr[::-1])) for q in s_queries]
            case.update({"signal_efficiency": pack(s_queries),
                         "threshold_at_signal": pack([r[0] for r in rev]),
                         "background_efficiency_at_signal": pack([r[1] for r in rev])})
        print(f"  efficiency {name}: at 0.01 {fwd[2][1]:.10g}")
        cases.append(case)

    n_pos, n_neg = 2000, 3000
    x = np.concatenate([rng.normal(1.5, 1.0, n_pos), rng.normal(0.0, 1.0, n_neg)])
    y = np.concatenate([np.ones(n_pos, int), np.zeros(n_neg, int)])
    p = rng.permutation(len(y))
    s, y = np.round(x[p], 6), y[p]
    add("unit_weights", s, y, None)
    add("positive_weights_ties", np.round(s, 1), y, np.round(rng.uniform(0.2, 2.0, len(s)), 4))
    w = np.round(rng.uniform(0.5, 1.5, len(s)), 4)
    w = np.where((y == 1) & (rng.uniform(size=len(s)) < 0.15), -0.6 * w, w)
    add("negative_signal_weights", s, y, w, reverse=False)
    add("small_ties", np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.3]), np.array([1, 0, 1, 1, 0, 1]), None)
    return cases


def more_goldens(versions):
    rng = np.random.default_rng(20261124)
    write("truncated.json", truncated_cases(rng), versions)
    write("cvm.json", cvm_cases(rng), versions)
    write("chi2.json", chi2_cases(rng), versions)
    write("gamma.json", gamma_cases(), versions)
    write("efficiency.json", efficiency_cases(rng), versions)
