"""Golden working points on the signed ROC curve with NLO-like negative weights (issue 17,
item 3), for validation/roc_signed.rs: validation/data/metrics/roc_signed.json.

The curve is scikit-learn's weighted roc_curve (drop_intermediate=False), whose fpr
steps back where negative-weight background events leave the selection. The working
point at background efficiency b is defined on the envelope env = running maximum of
fpr (numpy.maximum.accumulate): j = the last vertex with env[j] <= b; the signal
efficiency is tpr[j] if env[j] == b or j is last, else tpr linearly interpolated in env
on (j, j+1); the threshold is thresholds[j] (docs/metrics.md, "Efficiencies at working
points"). Numbers are written with repr (exact round trip).

Run: /work/venv-all/bin/python validation/roc_signed_golden.py
"""

import json
import os

import numpy as np
from sklearn.metrics import roc_curve


def working_point(b, env, tpr, thr):
    j = int(np.searchsorted(env, b, side="right")) - 1
    if env[j] == b or j == len(env) - 1:
        return float(thr[j]), float(tpr[j])
    slope = (tpr[j + 1] - tpr[j]) / (env[j + 1] - env[j])
    return float(thr[j]), float(slope * (b - env[j]) + tpr[j])


def case(name, rng, n_sig, n_bkg, neg_frac):
    s = np.concatenate([rng.beta(5, 2, n_sig), rng.beta(2, 5, n_bkg)])
    y = np.concatenate([np.ones(n_sig, int), np.zeros(n_bkg, int)])
    # NLO-like: |w| around 1, a fraction negative, in both classes
    w = rng.uniform(0.5, 1.5, n_sig + n_bkg)
    w[rng.uniform(size=n_sig + n_bkg) < neg_frac] *= -1.0
    s = np.round(s, 4)  # ties, as a BDT output written with few digits has
    fpr, tpr, thr = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    env = np.maximum.accumulate(fpr)
    assert np.any(np.diff(fpr) < 0), "the case must step back"
    points = [working_point(b, env, tpr, thr) for b in (0.001, 0.01, 0.1)]
    print(name, "steps back", int(np.sum(np.diff(fpr) < 0)), "times; points", points)
    pack = lambda v: " ".join(repr(float(x)) for x in v)
    return {
        "name": name,
        "scores": pack(s),
        "labels": " ".join(str(int(v)) for v in y),
        "weights": pack(w),
        "background_efficiency": [0.001, 0.01, 0.1],
        "threshold": [p[0] for p in points],
        "signal_efficiency": [p[1] for p in points],
    }


def main():
    rng = np.random.default_rng(2017)
    cases = [case("nlo_15pct", rng, 1500, 1500, 0.15), case("nlo_30pct", rng, 800, 1200, 0.30)]
    path = os.path.join(os.path.dirname(__file__), "data", "metrics", "roc_signed.json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
