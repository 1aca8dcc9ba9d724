#!/usr/bin/env bash
# Issue 19 (toy helper): the morph toy and the correction comparison, fast mode. Runs the
# generator's morph-toy scenario, the per-variable morph, classifier reweighting (3
# epochs) and, once `morph --chain` exists, the chained morph on 10000 events; checks the
# toy's truth (validation/morph_chain/compare.py, check_toy_truth; the chain there only has
# to run: 3 epochs train no useful network). About 1 min of CPU (debug build).
set -euo pipefail
echo "== morph toy: per-variable morph, reweighting, chained morph on held-out events (fast)"
work="${TMPDIR:-/tmp}/rootgrad-ci-morph-chain"
rm -rf "$work"
"$VENV/bin/python" validation/morph_chain/compare.py --fast --work "$work" \
    --rootgrad target/debug/rootgrad
rm -rf "$work"
