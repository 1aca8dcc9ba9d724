#!/usr/bin/env python3
"""Golden values for rootgrad's optimisers, schedules and gradient clipping.

Runs torch.optim (single-tensor implementations, foreach=False, in float64) for three
steps of every optimiser and option combination on one parameter tensor of 37 values
(negatives, zeros, a wide range of magnitudes) with a fixed sequence of three gradient
tensors, and records the parameters after every step and the optimiser state after the
last. Also records torch.optim.lr_scheduler StepLR and ExponentialLR learning rates per
epoch, Ganin's lr annealing and the DANN lambda schedule (by formula), and
torch.nn.utils.clip_grad_norm_.

Each case carries its configuration in rootgrad's own config format (`config`), which the
script translates to torch's keyword arguments, so the Rust test builds the optimiser from
the same dictionary. Output: validation/data/torch/optim.json (compared by
validation/optim.rs). Run: /work/venv/bin/python validation/torch_optim.py
"""

import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
N = 37
STEPS = 3


def start_params():
    g = torch.Generator().manual_seed(3)
    p = torch.randn(N, generator=g) * 1.5
    p[0] = 0.0
    p[5] = 0.0
    p[7] = -2.5
    p[11] = 1e-3
    p[20] = 40.0
    return p


def gradients():
    g = torch.Generator().manual_seed(11)
    grads = []
    for k in range(STEPS):
        x = torch.randn(N, generator=g) * torch.logspace(-2, 1, N)[torch.randperm(N, generator=g)]
        x[0] = 0.0  # a parameter whose gradient is always zero
        x[3 + k] = 0.0  # a zero in a different place each step
        x[9] = 1e-6 * (-1) ** k  # tiny, sign-alternating
        grads.append(x)
    return grads


def torch_optimizer(cfg, params):
    """rootgrad config -> torch.optim instance (defaults left to torch where absent)."""
    kw = {k: v for k, v in cfg.items() if k != "name"}
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    cls = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
        "adamax": torch.optim.Adamax,
        "adadelta": torch.optim.Adadelta,
        "rmsprop": torch.optim.RMSprop,
    }[cfg["name"]]
    return cls([params], foreach=False, **kw)


CASES = [
    ("sgd_plain", {"name": "sgd", "lr": 0.1}),
    ("sgd_momentum", {"name": "sgd", "lr": 0.1, "momentum": 0.9}),
    ("sgd_nesterov", {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd_weight_decay", {"name": "sgd", "lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    ("sgd_dampening", {"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("adam_defaults", {"name": "adam"}),
    ("adam", {"name": "adam", "lr": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}),
    ("adam_amsgrad", {"name": "adam", "lr": 0.1, "amsgrad": True}),
    ("adam_weight_decay", {"name": "adam", "lr": 0.1, "weight_decay": 0.1}),
    ("adamw_defaults", {"name": "adamw"}),
    ("adamw", {"name": "adamw", "lr": 0.1, "weight_decay": 0.1}),
    ("adamw_amsgrad", {"name": "adamw", "lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("adamax_defaults", {"name": "adamax"}),
    ("adamax", {"name": "adamax", "lr": 0.1, "betas": [0.7, 0.95], "weight_decay": 0.05}),
    ("adadelta_defaults", {"name": "adadelta"}),
    ("adadelta", {"name": "adadelta", "lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.05}),
    ("rmsprop_defaults", {"name": "rmsprop"}),
    ("rmsprop_momentum", {"name": "rmsprop", "lr": 0.01, "momentum": 0.9}),
    ("rmsprop_centered", {"name": "rmsprop", "lr": 0.01, "centered": True, "alpha": 0.9}),
    (
        "rmsprop_centered_momentum_wd",
        {"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    ),
]


def run_case(name, cfg, lr_per_step=None, clip=None):
    p = start_params().clone().requires_grad_(True)
    opt = torch_optimizer(cfg, p)
    out = []
    for k, g in enumerate(gradients()):
        if lr_per_step is not None:
            for group in opt.param_groups:
                group["lr"] = lr_per_step[k]
        p.grad = g.clone()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([p], clip)
        opt.step()
        out.append(p.detach().tolist())
    state = {
        k: v.tolist()
        for k, v in opt.state[p].items()
        if isinstance(v, torch.Tensor) and v.numel() == N
    }
    case = {"name": name, "config": cfg, "params": out, "state": state}
    if lr_per_step is not None:
        case["lr_per_step"] = lr_per_step
    if clip is not None:
        case["clip_max_norm"] = clip
    return case


def scheduler_lrs(make, epochs=12, lr0=0.01):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return lrs


def main():
    cases = [run_case(n, c) for n, c in CASES]
    # A schedule driving the optimiser: RMSProp at StepLR(step_size=1, gamma=0.1) lrs.
    step_lrs = scheduler_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 1, 0.1), 3, 0.01)
    cases.append(run_case("rmsprop_steplr", {"name": "rmsprop", "lr": 0.01, "momentum": 0.9}, step_lrs))
    # Clipping before each step.
    cases.append(run_case("sgd_momentum_clipped", {"name": "sgd", "lr": 0.1, "momentum": 0.9}, clip=1.0))

    schedules = [
        {
            "config": {"kind": "step", "step_size": 5},
            "lr0": 0.01,
            "lrs": scheduler_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 5)),
        },
        {
            "config": {"kind": "step", "step_size": 3, "gamma": 0.5},
            "lr0": 0.01,
            "lrs": scheduler_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
        },
        {
            "config": {"kind": "exponential", "gamma": 0.9},
            "lr0": 0.01,
            "lrs": scheduler_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
        },
    ]
    progress = [i / 10 for i in range(11)]
    ganin = [
        {"lr0": 0.01, "alpha": a, "beta": b, "p": progress,
         "lrs": [0.01 / (1 + a * p) ** b for p in progress]}
        for a, b in [(10.0, 0.75), (5.0, 0.5)]
    ]
    dann = [
        {"lambda_max": lm, "gamma": gm, "p": progress,
         "lambdas": [lm * (2 / (1 + math.exp(-gm * p)) - 1) for p in progress]}
        for lm, gm in [(1.0, 10.0), (0.3, 5.0)]
    ]
    clip = []
    for max_norm in [1.0, 1e3, 0.05]:
        g = gradients()[0].clone()
        p = torch.zeros(N, requires_grad=True)
        p.grad = g
        total = torch.nn.utils.clip_grad_norm_([p], max_norm).item()
        clip.append({"max_norm": max_norm, "grad": gradients()[0].tolist(),
                     "total_norm": total, "clipped": p.grad.tolist()})

    out = {
        "script": "validation/torch_optim.py",
        "torch": torch.__version__,
        "dtype": "float64",
        "start_params": start_params().tolist(),
        "grads": [g.tolist() for g in gradients()],
        "cases": cases,
        "schedules": schedules,
        "ganin": ganin,
        "dann": dann,
        "clip": clip,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "torch", "optim.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} optimiser cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
