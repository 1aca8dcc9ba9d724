"""Reference values for the morph of variables with point masses and integer values
(issue 17, item 1), written to validation/data/morph/golden.json and used by
validation/morph.rs.

The toys (generated in the Rust test with rootgrad's SplitMix64, parameters here):
  - "isolation": a point mass at 0 plus an exponential tail; simulation has 78% of its
    events at 0 (tail scale 1.0), data 55% (tail scale 1.3). The variable morphed is
    log(x + 1e-3), so the spike sits at log(1e-3) in both.
  - "npv": Poisson counts, simulation mean 18, data mean 21.

What a correct morph must give: the morphed simulation follows the data's
distribution, so its fraction at the spike is the data's (0.55) and its pmf of the
integer variable is Poisson(21), each within the statistical error of two samples of
n_mc and n_data events: sigma_k = sqrt(p_k (1 - p_k) (1 / n_mc + 1 / n_data)).
The expected values come from the formula (the spike fraction) and scipy.stats.poisson.

As a cross-check this script also morphs numpy toys with its own implementation of the
distributional transform (Ruschendorf 2009): u = F(x-) + V (F(x) - F(x-)),
T = Q_data(u), V ~ U(0, 1), and prints the largest pull, which must be small; the
pre-fix map T = Q_data(F(x)) is shown failing.

Run: /work/venv-all/bin/python validation/morph_golden.py
"""

import json
import os

import numpy as np
from scipy import stats

N_MC = 40000
N_DATA = 40000
SPIKE_MC, SPIKE_DATA = 0.78, 0.55
TAIL_MC, TAIL_DATA = 1.0, 1.3
MEAN_MC, MEAN_DATA = 18.0, 21.0
K_MIN, K_MAX = 8, 36


def sigma(p):
    return np.sqrt(p * (1 - p) * (1 / N_MC + 1 / N_DATA))


def cdf_steps(x):
    v, c = np.unique(x, return_counts=True)
    return v, np.cumsum(c) / len(x)


def morph(mc, data, rng, randomised):
    vm, fm = cdf_steps(mc)
    vd, fd = cdf_steps(data)
    k = np.searchsorted(vm, mc, side="right") - 1
    hi = fm[k]
    lo = np.where(k > 0, fm[np.maximum(k - 1, 0)], 0.0)
    u = lo + rng.uniform(size=len(mc)) * (hi - lo) if randomised else hi
    j = np.minimum(np.searchsorted(fd, u, side="left"), len(vd) - 1)
    return vd[j]


def check():
    rng = np.random.default_rng(17)
    iso = lambda n, p, s: np.where(rng.uniform(size=n) < p, 0.0, rng.exponential(s, n))
    mc = np.log(iso(N_MC, SPIKE_MC, TAIL_MC) + 1e-3)
    data = np.log(iso(N_DATA, SPIKE_DATA, TAIL_DATA) + 1e-3)
    spike = np.log(1e-3)
    for randomised in (True, False):
        m = morph(mc, data, rng, randomised)
        f = np.mean(m == spike)
        print(f"isolation, randomised={randomised}: spike fraction {f:.4f} "
              f"(want {SPIKE_DATA} +- {sigma(SPIKE_DATA):.4f})")
    mc = rng.poisson(MEAN_MC, N_MC).astype(float)
    data = rng.poisson(MEAN_DATA, N_DATA).astype(float)
    ks = np.arange(K_MIN, K_MAX + 1)
    p = stats.poisson.pmf(ks, MEAN_DATA)
    for randomised in (True, False):
        m = morph(mc, data, rng, randomised)
        got = np.array([np.mean(m == k) for k in ks])
        print(f"npv, randomised={randomised}: largest pull "
              f"{np.max(np.abs(got - p) / sigma(p)):.2f}")


def main():
    check()
    ks = np.arange(K_MIN, K_MAX + 1)
    p = stats.poisson.pmf(ks, MEAN_DATA)
    out = {
        "n_mc": N_MC,
        "n_data": N_DATA,
        "isolation": {
            "spike_mc": SPIKE_MC,
            "spike_data": SPIKE_DATA,
            "tail_mc": TAIL_MC,
            "tail_data": TAIL_DATA,
            "offset": 1e-3,
            "want_spike_fraction": SPIKE_DATA,
            "sigma": float(sigma(SPIKE_DATA)),
        },
        "npv": {
            "mean_mc": MEAN_MC,
            "mean_data": MEAN_DATA,
            "k": [int(k) for k in ks],
            "want_pmf": [float(v) for v in p],
            "sigma": [float(v) for v in sigma(p)],
        },
    }
    path = os.path.join(os.path.dirname(__file__), "data", "morph", "golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
