"""Parses the HTCondor submit files of a rootgrad job folder with HTCondor's own Python
bindings (htcondor2) and expands every job: each job's arguments name one shard of the
plan, the union of the jobs covers every shard of the plan exactly once, and in
file-transfer mode each job transfers the plan, the model and exactly the input files
of its shard (validation/ci/batch.sh).

With --expect=K,L,... the jobs must cover exactly those shards (a rescue submit file).

usage: condor_expand.py JOB_DIR [--expect=K,L] [SUBMIT_FILE...]
"""
import json
import os
import re
import sys
from pathlib import Path

import htcondor2 as htcondor

job_dir = Path(sys.argv[1]).resolve()
plan = json.loads((job_dir / "plan.json").read_text())
n = len(plan["shards"])
rest = sys.argv[2:]
expect = list(range(n))
if rest and rest[0].startswith("--expect="):
    expect = sorted(int(k) for k in rest.pop(0).split("=", 1)[1].split(","))
files = rest or ["condor.sub", "condor-transfer.sub"]
os.chdir(job_dir)  # `queue ... from FILE` is read relative to the submit folder
for name in files:
    text = (job_dir / name).read_text()
    sub = htcondor.Submit(text)
    seen = []
    for item in sub.itemdata():
        job = htcondor.Submit(text)
        for k, v in item.items():
            job[k] = v
        args = job.expand("arguments").strip('"').split()
        assert args[:2] == ["batch", "run"], args
        m = re.fullmatch(r"\d+", args[args.index("--shard") + 1])
        assert m, args
        k = int(m.group(0))
        seen.append(k)
        # `+Attr` lines are custom job attributes, kept as `MY.Attr`
        for key in ["request_cpus", "request_memory", "MY.JobFlavour", "MY.MaxRuntime", "log"]:
            assert job.get(key), f"{name}: no {key}"
        assert "$(ClusterId).$(ProcId)" in job.get("output"), job.get("output")
        if "transfer" in name:
            want = set()
            for p in plan["shards"][k]:
                inp = plan["inputs"][p["input"]]
                want.add(inp["file"])
                want.update(f.rsplit(":", 1)[0] for f in inp["friends"])
            got = [s.strip() for s in job.expand("transfer_input_files").split(",")]
            assert got[0] == "plan.json" and got[1] == plan["model"], got
            assert set(g for g in got[2:] if g) == want, (k, got, want)
    assert sorted(seen) == expect, f"{name}: jobs cover shards {sorted(seen)}, expected {expect}"
    print(f"{name}: {len(seen)} jobs, shards {expect} of {n}, each exactly once")
