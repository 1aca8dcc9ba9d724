#!/usr/bin/env bash
# CI steps of the `io` branch: rootgrad's friend files read by ROOT itself.
# validation/friend_root.py writes friends of uproot-made trees with
# examples/write_friend.rs (built in release by friend_uproot.py just before) and reads
# them in ROOT 6.40 (the `root` wheel, installed into $VENV here): TFile::Open,
# AddFriend, Scan, RDataFrame, the source record. About 1-2 minutes with the download.
set -euo pipefail
: "${VENV:?set VENV to the CI venv (see .ci/run)}"
echo "== friend files read by ROOT 6.40 (validation/friend_root.py)"
"$VENV/bin/pip" install --quiet --disable-pip-version-check root
bin="${CARGO_TARGET_DIR:-target}/release/examples/write_friend"
[ -x "$bin" ] || cargo build --quiet --release --example write_friend
ROOTGRAD_WRITE_FRIEND_BIN="$bin" "$VENV/bin/python" validation/friend_root.py
