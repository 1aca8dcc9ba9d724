"""Golden values for metrics::ks::{kolmogorov_sf, ks_p_value} (validation/metrics/more.rs,
`ks_p_value_matches_scipy`): scipy.special.kolmogorov at points across its range, and
the asymptotic p-value of the KS distance of two unit-weight samples,
scipy.stats.kstwobign.sf(sqrt(n m / (n + m)) * D) with D = scipy.stats.ks_2samp(a, b).statistic.

Run: /work/venv-all/bin/python validation/metrics/ks_pvalue.py
Writes validation/data/metrics/ks_pvalue.json.
"""
import json
import os
import sys

import numpy as np
from scipy import special, stats

HERE = os.path.dirname(os.path.abspath(__file__))
xs = [0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0, 1.05, 1.2, 1.5, 2.0, 3.0, 5.0]
rng = np.random.default_rng(17)
a = rng.normal(0.0, 1.0, 300)
b = rng.normal(0.15, 1.0, 200)
d = stats.ks_2samp(a, b).statistic
en = len(a) * len(b) / (len(a) + len(b))
out = dict(
    kolmogorov=[dict(x=x, q=float(special.kolmogorov(x))) for x in xs],
    two_sample=dict(a=a.tolist(), b=b.tolist(), d=float(d),
                    p=float(stats.kstwobign.sf(np.sqrt(en) * d))),
)
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "data", "metrics", "ks_pvalue.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print("D", d, "p", out["two_sample"]["p"])
