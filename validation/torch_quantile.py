#!/usr/bin/env python3
"""Golden values for rootgrad's quantile loss (src/loss/quantile.rs), by PyTorch autograd.

For Q = 3 levels (0.1, 0.5, 0.9) and Q = 21 evenly spaced levels (tau_j = (j + 1/2) / Q),
builds in float64 a batch of raw network outputs r (rows x Q, uniform in (-3, 1.5)),
targets y (uniform in (-4, 8), none within 1e-3 of one of its row's quantiles, where the
pinball loss has its kink), and signed weights (uniform in (0.2, 1.5), a quarter of them
negative, -0.5 w), with a set size N and set weight W that are not the batch's. The loss
is written with torch ops as docs/maths.md ("Quantile regression and chained morphing")
defines it:

    q_1 = r_1, q_j = q_{j-1} + softplus(r_j)        (torch.cumsum of [r_1, softplus(r_2..)])
    rho_tau(u) = max(tau u, (tau - 1) u), u = y - q
    L_Q = N / (|B| W) * sum_i w_i (1/Q) sum_j rho_{tau_j}(y_i - q_ij)

softplus is F.softplus with its linear threshold disabled (threshold = 1e9, so autograd
gives sigmoid everywhere). autograd gives dL_Q/dr. Also checked here: rho as
torch.maximum against the torch.where form, and the gradient against the closed form of
the brief (dL/dr_1 = sum_j g_j, dL/dr_m = sigmoid(r_m) sum_{j>=m} g_j).

Output: validation/data/torch/quantile.json, compared by validation/loss.rs
(`quantile_loss_matches_torch`).
Run: /work/venv-torch/bin/python validation/torch_quantile.py
"""

import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "data", "torch", "quantile.json"
)


def quantiles(r):
    sp = F.softplus(r[:, 1:], beta=1.0, threshold=1e9)
    return torch.cumsum(torch.cat([r[:, :1], sp], dim=1), dim=1)


def case(g, taus, rows, n_set, w_set):
    Q = len(taus)
    tau = torch.tensor(taus)
    r = (-3.0 + 4.5 * torch.rand(rows, Q, generator=g)).requires_grad_(True)
    q0 = quantiles(r).detach()
    y = torch.empty(rows)
    for i in range(rows):
        while True:
            v = -4.0 + 12.0 * torch.rand(1, generator=g).item()
            if (q0[i] - v).abs().min().item() > 1e-3:
                y[i] = v
                break
    w = 0.2 + 1.3 * torch.rand(rows, generator=g)
    neg = torch.rand(rows, generator=g) < 0.25
    w = torch.where(neg, -0.5 * w, w)

    q = quantiles(r)
    u = y[:, None] - q
    rho = torch.maximum(tau * u, (tau - 1.0) * u)
    rho_where = torch.where(u >= 0, tau * u, (tau - 1.0) * u)
    assert torch.equal(rho, rho_where)
    norm = n_set / (rows * w_set)
    L = norm * (w * rho.sum(dim=1) / Q).sum()
    (dr,) = torch.autograd.grad(L, r)

    # the closed form of the backward (docs/maths.md)
    gq = norm * w[:, None] / Q * torch.where(u >= 0, -tau, 1.0 - tau)
    suffix = torch.flip(torch.cumsum(torch.flip(gq, [1]), 1), [1])
    closed = suffix * torch.cat([torch.ones(rows, 1), torch.sigmoid(r[:, 1:])], 1)
    assert torch.allclose(closed, dr, rtol=1e-13, atol=0.0)

    return {
        "taus": taus,
        "rows": rows,
        "n_set": n_set,
        "w_set": w_set,
        "r": [float(v) for v in r.detach().flatten().tolist()],
        "y": [float(v) for v in y.tolist()],
        "w": [float(v) for v in w.tolist()],
        "q": [float(v) for v in q.detach().flatten().tolist()],
        "loss": L.item(),
        "dr": [float(v) for v in dr.flatten().tolist()],
    }


def main():
    g = torch.Generator().manual_seed(1919)
    q21 = [(j + 0.5) / 21 for j in range(21)]
    out = {
        "q3": case(g, [0.1, 0.5, 0.9], 48, 5000, 3120.5),
        "q21": case(g, q21, 40, 7300, 2210.25),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")
    for name, c in out.items():
        print(f"  {name}: loss {c['loss']:.10g}")


if __name__ == "__main__":
    main()
