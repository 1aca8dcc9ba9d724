#!/usr/bin/env bash
# CI: the portable binary (issue 14, items 1 and 5).
#
# 1. validation/build-portable builds target/portable/rootgrad (static glibc, stripped).
# 2. `file` and `readelf` must show a static executable: no program interpreter, no
#    dynamic section, no NEEDED library, no debug sections, no symbol table.
# 3. In an empty chroot holding only the binary and the data (toy samples written by the
#    ordinary debug build of `cargo test`, and their run description), it runs
#    `--version`, a small `train` (2 folds, 2 epochs, 5,000 events a sample) and `apply`
#    of that model to the control-region data, and `dump` of the friend; the ordinary
#    build then trains and applies the same way outside, and its dump must be the same
#    text (every score the same in the printed digits): the static build computes what
#    the ordinary one does.
#
# Run from the project root; needs root (chroot), gcc, file, binutils (readelf) and
# libc6-dev (glibc's static libraries); installs file and binutils if missing. About 3
# minutes, most of it the release build.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v file >/dev/null || need+=(file)
command -v readelf >/dev/null || need+=(binutils)
[ -f "$(gcc -print-file-name=libc.a)" ] || need+=(libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== portable: build (validation/build-portable)"
validation/build-portable --quiet
bin=target/portable/rootgrad

echo "== portable: a static executable"
file "$bin"
file -b "$bin" | grep -q "statically linked" || { echo "portable: not statically linked" >&2; exit 1; }
if readelf --program-headers "$bin" | grep -q INTERP; then
  echo "portable: the binary asks for a program interpreter" >&2; exit 1
fi
# (printed with echo: `tee /dev/stderr` reopens the log file CI writes to and truncates it)
dynamic=$(readelf --dynamic "$bin")
echo "$dynamic"
grep -q "There is no dynamic section" <<<"$dynamic" \
  || { echo "portable: the binary has a dynamic section" >&2; exit 1; }
if readelf --section-headers "$bin" | grep -Eq '\.debug_|\.symtab'; then
  echo "portable: the binary carries debug sections or a symbol table (not stripped)" >&2
  exit 1
fi
ls -l "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/rootgrad-portable.XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/chroot"
mkdir -p "$root/data"
cp "$bin" "$root/rootgrad"

echo "== portable: the data (toy samples, by the ordinary build)"
ordinary=target/debug/rootgrad
[ -x "$ordinary" ] || cargo build --quiet --bin rootgrad
"$ordinary" samples generate --out "$root/data" --events 5000 --seed 3 >/dev/null
train=(train /data/photon_id.toml --quiet --set training.epochs=2)
echo "chroot holds: $(cd "$root" && find . -type f | sort | tr '\n' ' ')"

echo "== portable: --version, train, apply, dump inside the empty chroot"
chroot "$root" /rootgrad --version
chroot "$root" /rootgrad "${train[@]}" --out /data/run
chroot "$root" /rootgrad apply -m /data/run/model.json /data/zee_data.root:Events \
  -o /data/friend.root --quiet
chroot "$root" /rootgrad dump /data/friend.root > "$work/portable.csv"
[ "$(wc -l < "$work/portable.csv")" -gt 1000 ] \
  || { echo "portable: the friend has too few entries" >&2; exit 1; }

echo "== portable: the same model and scores as the ordinary build"
"$ordinary" train "$root/data/photon_id.toml" --quiet --set training.epochs=2 \
  --out "$work/ordinary-run"
"$ordinary" dump "$root/data/friend.root" > "$work/ordinary-reads-portable.csv"
cmp "$work/portable.csv" "$work/ordinary-reads-portable.csv"
"$ordinary" apply -m "$work/ordinary-run/model.json" "$root/data/zee_data.root:Events" \
  -o "$work/ordinary-friend.root" --quiet
"$ordinary" dump "$work/ordinary-friend.root" > "$work/ordinary.csv"
if ! cmp "$work/portable.csv" "$work/ordinary.csv"; then
  echo "portable: its scores differ from the ordinary build's (first lines):" >&2
  diff "$work/portable.csv" "$work/ordinary.csv" | head >&2
  exit 1
fi
echo "portable: $(($(wc -l < "$work/portable.csv") - 1)) scores equal to the ordinary build's"
