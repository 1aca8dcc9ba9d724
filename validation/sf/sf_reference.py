"""Golden numbers for `rootgrad sf` (validation/sf.rs), computed with uproot and numpy.

The samples are two halves of ../shared/rootfiles/uproot-Zmumu-zlib.root:events,
selected by the muon charge, with signed weights (to exercise the formula for negative
weights, as sWeights and NLO generator weights are):

  data: Q1 > 0,  weight 1 + 1.5 cos(phi1)     (about a third negative)
  mc:   Q1 < 0,  weight 0.5 + cos(phi2)        (about a third negative)
  score = 1 / (1 + exp(-(M - 90) / 3)),  var = eta1,
  edges = -2.4, -1.2, 0, 1.2, 2.4,  working points 0.3 and 0.7.

In a bin: P, F = sums of the weights of events passing (score >= t) and failing;
P2, F2 their squared weights; eff = P / (P + F);
var(eff) = (F^2 P2 + P^2 F2) / (P + F)^4 (P and F are sums over disjoint events, so
independent, each with variance its sum of squared weights: docs/maths.md);
SF = eff_d / eff_m, var(SF) = SF^2 (var_d / eff_d^2 + var_m / eff_m^2).

As a second, independent check of the variance, the script also draws bootstrap
replicas (Poisson(1) event multiplicities) and prints how the bootstrap standard
deviation compares; it is not written to the golden file.

Run: /work/venv-all/bin/python validation/sf/sf_reference.py
Writes validation/data/sf/sf_golden.json.
"""
import json
import os
import sys

import numpy as np
import uproot

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "shared", "rootfiles", "uproot-Zmumu-zlib.root")
EDGES = np.array([-2.4, -1.2, 0.0, 1.2, 2.4])
WPS = [0.3, 0.7]


def load():
    t = uproot.open(ROOT)["events"]
    a = t.arrays(["Q1", "phi1", "phi2", "M", "eta1"], library="np")
    score = 1.0 / (1.0 + np.exp(-(a["M"] - 90.0) / 3.0))
    d = a["Q1"] > 0
    m = a["Q1"] < 0
    data = (a["eta1"][d], score[d], 1.0 + 1.5 * np.cos(a["phi1"][d]))
    mc = (a["eta1"][m], score[m], 0.5 + np.cos(a["phi2"][m]))
    return data, mc


def sums(sample, t):
    x, s, w = sample
    inside = (x >= EDGES[0]) & (x <= EDGES[-1])
    # bins [e_i, e_{i+1}), the last one closed
    b = np.clip(np.searchsorted(EDGES, x, side="right") - 1, 0, len(EDGES) - 2)
    out = []
    for i in range(len(EDGES) - 1):
        sel = inside & (b == i)
        p = sel & (s >= t)
        f = sel & (s < t)
        out.append(
            dict(
                events=int(sel.sum()),
                pass_=float(w[p].sum()),
                pass_w2=float((w[p] ** 2).sum()),
                fail=float(w[f].sum()),
                fail_w2=float((w[f] ** 2).sum()),
            )
        )
    return out


def eff(c):
    P, F, P2, F2 = c["pass_"], c["fail"], c["pass_w2"], c["fail_w2"]
    T = P + F
    return P / T, np.sqrt((F * F * P2 + P * P * F2) / T**4)


def bootstrap(data, mc, t, n=400, seed=1):
    rng = np.random.default_rng(seed)
    sfs = []
    for _ in range(n):
        reps = []
        for x, s, w in (data, mc):
            k = rng.poisson(1.0, size=len(w))
            reps.append([eff(c)[0] for c in sums((x, s, w * k), t)])
        sfs.append(np.array(reps[0]) / np.array(reps[1]))
    return np.std(np.array(sfs), axis=0)


def main():
    data, mc = load()
    wps = []
    for t in WPS:
        bins = []
        cd, cm = sums(data, t), sums(mc, t)
        for i, (d, m) in enumerate(zip(cd, cm)):
            ed, sd = eff(d)
            em, sm = eff(m)
            sf = ed / em
            sf_err = abs(sf) * np.sqrt((sd / ed) ** 2 + (sm / em) ** 2)
            bins.append(
                dict(
                    lo=float(EDGES[i]), hi=float(EDGES[i + 1]),
                    data={k.rstrip("_"): v for k, v in d.items()},
                    mc={k.rstrip("_"): v for k, v in m.items()},
                    eff_data=float(ed), eff_data_err=float(sd),
                    eff_mc=float(em), eff_mc_err=float(sm),
                    sf=float(sf), sf_err=float(sf_err),
                )
            )
        boot = bootstrap(data, mc, t)
        print(f"wp {t}: sf_err (formula) {[round(b['sf_err'], 4) for b in bins]}")
        print(f"wp {t}: sf std (bootstrap) {[round(float(x), 4) for x in boot]}")
        wps.append(dict(threshold=t, bins=bins))
    neg = [int((s[2] < 0).sum()) for s in (data, mc)]
    out = dict(
        file="uproot-Zmumu-zlib.root", tree="events", edges=EDGES.tolist(),
        negative_weights=dict(data=neg[0], mc=neg[1]), working_points=wps,
    )
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "data", "sf", "sf_golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path), "negative weights", neg)


if __name__ == "__main__":
    main()
