"""Golden values for rootgrad's network (src/nn), made with PyTorch in float64.

Builds the network of validation/nn/golden.rs: 7 inputs, shared hidden [9, 8, 6], an
output layer of `outputs` units (a classifier logit z; one case has 5 outputs per row,
the multi-output network of `morph --chain`, z of shape (batch, 5) flattened row-major),
a domain head reading hidden layer 1 through a gradient reversal
layer (hidden [5], logit z_d) and a mass head reading hidden layer 2 through another
(hidden [4], output m). Weights come from torch's own seeded nn.Linear initialisation
and are dumped by rootgrad's tensor names; rootgrad loads them by name.

The upstream gradient is fixed by the loss L = sum_ij c_ij z_ij + sum_i e_i z_d,i +
sum_i f_i m_i (j over the outputs), so dL/dz = c (row-major like z), dL/dz_d = e, dL/dm = f. Gradient reversal is a custom
autograd.Function (identity forward, -lambda times the gradient backward).

One case per pair of (shared, head) activations, covering all seven; one case trains
with dropout p = 0.3, its masks drawn with rootgrad's keyed SplitMix64
(src/random.rs, src/nn/dropout.rs), reimplemented here in Python integers.

Writes validation/data/torch/nn.json. Run: /work/venv-torch/bin/python validation/torch_nn.py
"""

import json
import os

import torch

torch.set_default_dtype(torch.float64)

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def splitmix64(z):
    z = (z + GOLDEN) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def key(parts):
    h = 0
    for k in parts:
        h = splitmix64(h ^ k)
    return h


def unit_f64(x):
    return (x >> 11) * 2.0**-53


def dropout_mask(p, seed, step, layer, rows, cols):
    """rootgrad's mask: keep (u >= p) scaled by 1/(1-p), u keyed by (seed, step, layer, row, col)."""
    m = torch.zeros(rows, cols)
    for i in range(rows):
        rk = key([seed, step, layer, i])
        for j in range(cols):
            u = unit_f64(splitmix64((rk + j) & M64))
            m[i, j] = 1.0 / (1.0 - p) if u >= p else 0.0
    return m


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


ACTS = {
    "relu": lambda: torch.nn.ReLU(),
    "leaky_relu": lambda a: torch.nn.LeakyReLU(a),
    "elu": lambda a: torch.nn.ELU(a),
    "selu": lambda: torch.nn.SELU(),
    "tanh": lambda: torch.nn.Tanh(),
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "silu": lambda: torch.nn.SiLU(),
}


def make_act(spec):
    name, *arg = spec
    return ACTS[name](*arg)


INPUTS, HIDDEN, BATCH = 7, [9, 8, 6], 13
DOMAIN = {"from_layer": 1, "hidden": [5]}
MASS = {"from_layer": 2, "hidden": [4]}
LAMBDA_DOMAIN, LAMBDA_MASS = 0.7, 1.3

# (name, shared activation, head activation, dropout[, outputs (default 1)])
CASES = [
    ("tanh_relu", ["tanh"], ["relu"], 0.0),
    ("silu_elu", ["silu"], ["elu", 0.7], 0.0),
    ("sigmoid_leaky", ["sigmoid"], ["leaky_relu", 0.1], 0.0),
    ("selu_tanh", ["selu"], ["tanh"], 0.0),
    ("relu_silu", ["relu"], ["silu"], 0.0),
    ("elu_sigmoid", ["elu", 1.0], ["sigmoid"], 0.0),
    ("leaky_selu_dropout", ["leaky_relu", 0.2], ["selu"], 0.3),
    ("silu_tanh_outputs5", ["silu"], ["tanh"], 0.0, 5),
]
DROPOUT_SEED, DROPOUT_STEP = 17, 3


def run_case(index, name, act, head_act, p, outputs=1):
    torch.manual_seed(1000 + index)
    params = {}

    def linear(prefix, n_in, n_out):
        lin = torch.nn.Linear(n_in, n_out)  # default init, float64
        params[prefix + ".weight"] = lin.weight
        params[prefix + ".bias"] = lin.bias
        return lin

    hidden = []
    width = INPUTS
    for i, w in enumerate(HIDDEN):
        hidden.append(linear(f"hidden.{i}", width, w))
        width = w
    classifier = linear("classifier", width, outputs)
    heads = {}
    for hname, h in (("domain", DOMAIN), ("mass", MASS)):
        layers = []
        width = HIDDEN[h["from_layer"]]
        for j, w in enumerate(h["hidden"]):
            layers.append(linear(f"{hname}.{j}", width, w))
            width = w
        layers.append(linear(f"{hname}.out", width, 1))
        heads[hname] = layers

    x = torch.randn(BATCH, INPUTS)
    c = torch.randn(BATCH) if outputs == 1 else torch.randn(BATCH, outputs)
    e, f = torch.randn(BATCH), torch.randn(BATCH)

    a, ha = make_act(act), make_act(head_act)
    hs = []
    h = x
    for i, lin in enumerate(hidden):
        h = a(lin(h))
        if p > 0:
            h = h * dropout_mask(p, DROPOUT_SEED, DROPOUT_STEP, i, BATCH, HIDDEN[i])
        hs.append(h)
    z = classifier(h)
    if outputs == 1:
        z = z.squeeze(1)
    outs = {}
    for hname, h_spec, lam in (("domain", DOMAIN, LAMBDA_DOMAIN), ("mass", MASS, LAMBDA_MASS)):
        g = Reverse.apply(hs[h_spec["from_layer"]], lam)
        layers = heads[hname]
        for lin in layers[:-1]:
            g = ha(lin(g))
        outs[hname] = layers[-1](g).squeeze(1)
    loss = (c * z).sum() + (e * outs["domain"]).sum() + (f * outs["mass"]).sum()
    loss.backward()

    flat = lambda t: t.detach().reshape(-1).tolist()
    return {
        "name": name,
        "activation": act,
        "head_activation": head_act,
        "dropout": p,
        "outputs": outputs,
        "params": {k: flat(v) for k, v in params.items()},
        "x": flat(x),
        "dz": flat(c),
        "ddomain": flat(e),
        "dmass": flat(f),
        "z": flat(z),
        "domain": flat(outs["domain"]),
        "mass": flat(outs["mass"]),
        "grads": {k: flat(v.grad) for k, v in params.items()},
    }


def main():
    out = {
        "script": "validation/torch_nn.py",
        "torch": torch.__version__,
        "inputs": INPUTS,
        "hidden": HIDDEN,
        "batch": BATCH,
        "domain_head": DOMAIN,
        "mass_head": MASS,
        "lambda_domain": LAMBDA_DOMAIN,
        "lambda_mass": LAMBDA_MASS,
        "dropout_seed": DROPOUT_SEED,
        "dropout_step": DROPOUT_STEP,
        "cases": [run_case(i, *c) for i, c in enumerate(CASES)],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "torch", "nn.json")
    with open(path, "w") as fh:
        json.dump(out, fh)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
