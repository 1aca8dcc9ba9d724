"""Golden activation values and derivatives from PyTorch, for kernels/src/act.rs.

For each activation rootgrad implements (relu, leaky_relu with alpha 0.01 and 0.2, elu
with alpha 1.0 and 0.5, selu, tanh, sigmoid, silu) this evaluates torch.nn.functional
at 54 fixed points in float64 (negative, zero, positive, tiny and large), and the
derivative by autograd (backward of the sum, so each grad is d act / dx at that point).
At exactly 0 PyTorch's relu and leaky_relu take the negative side's derivative (0 and
alpha), elu and selu take alpha e^0 (times scale).

Writes validation/data/torch/act.json. Run from the repository root:
    /work/venv/bin/python validation/torch_act.py
"""

import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

POINTS = sorted(
    set(
        [-30.0, -20.0, -10.0, 10.0, 20.0, 30.0]
        + [round(-6.0 + k / 3.0, 12) for k in range(37)]
        + [0.0, -1e-3, 1e-3, -1e-8, 1e-8, -0.05, 0.05, -0.7, 0.7, -2.5, 2.5, -1.278464542761074]
    )
)

ACTS = [
    ("relu", None, lambda x: F.relu(x)),
    ("leaky_relu", 0.01, lambda x: F.leaky_relu(x, 0.01)),
    ("leaky_relu", 0.2, lambda x: F.leaky_relu(x, 0.2)),
    ("elu", 1.0, lambda x: F.elu(x, 1.0)),
    ("elu", 0.5, lambda x: F.elu(x, 0.5)),
    ("selu", None, lambda x: F.selu(x)),
    ("tanh", None, lambda x: torch.tanh(x)),
    ("sigmoid", None, lambda x: torch.sigmoid(x)),
    ("silu", None, lambda x: F.silu(x)),
]


def main():
    out = {
        "script": "validation/torch_act.py",
        "torch": torch.__version__,
        "points": POINTS,
        "acts": [],
    }
    for name, param, f in ACTS:
        x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
        y = f(x)
        y.sum().backward()
        out["acts"].append(
            {
                "name": name,
                "param": param,
                "value": [float(v) for v in y.detach().numpy()],
                "grad": [float(v) for v in x.grad.numpy()],
            }
        )
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "data", "torch", "act.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {path}: {len(POINTS)} points x {len(ACTS)} activations")


if __name__ == "__main__":
    main()
