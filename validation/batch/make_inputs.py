"""Inputs of the batch CI (validation/ci/batch.sh), written by uproot: a small labelled
training file and a chain of three larger files, each written in many `extend` calls
so that every tree has many clusters; and the run description to train on them.

usage: make_inputs.py DIR [ENTRIES_PER_FILE]
"""
import sys
from pathlib import Path

import numpy as np
import uproot


def sample(rng, n):
    s = rng.random(n) < 0.5
    return {
        "r9": np.where(s, 0.9, 0.75) + 0.08 * rng.standard_normal(n),
        "sieie": np.where(s, 0.009, 0.012) + 0.002 * rng.standard_normal(n),
        "iso": np.where(s, 0.05, 0.3) * rng.exponential(size=n),
        "eta": 2.4 * (2 * rng.random(n) - 1),
        "w": np.where(rng.random(n) < 0.1, -1.0, 1.0) * (0.5 + rng.random(n)),
        "flav": s.astype(np.int32),
    }


def write(path, rng, n, per_cluster):
    types = {"r9": np.float32, "sieie": np.float32, "iso": np.float32,
             "eta": np.float32, "w": np.float64, "flav": np.int32}
    with uproot.recreate(path) as f:
        f.mktree("Events", {k: v for k, v in types.items()})
        done = 0
        while done < n:
            m = min(per_cluster, n - done)
            f["Events"].extend({k: v.astype(types[k]) for k, v in sample(rng, m).items()})
            done += m


def main():
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    write(out / "train.root", rng, 20_000, 20_000)
    for k in range(3):
        # uneven files, so that the shards' cuts fall inside and across files
        write(out / f"chain_{k}.root", rng, n * (k + 1) // 2, 25_000)
    (out / "run.toml").write_text(
        """[inputs]
features = ["r9", "sieie", "log(iso + 1e-3)", "abs(eta)"]

[classification]
signal     = { files = ["train.root:Events"], cut = "flav == 1", weight = "w" }
background = { files = ["train.root:Events"], cut = "flav != 1", weight = "w" }

[network]
hidden = [16, 16]

[training]
epochs = 2
batch_size = 512
"""
    )


main()
