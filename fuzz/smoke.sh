#!/usr/bin/env bash
# A short run of every fuzz target (./test calls it): each target for
# LVS_FUZZ_SECONDS (default 30) from its committed seeds, in a scratch corpus
# so the repository's corpora stay as committed. Any crash, timeout or leak
# fails the run and leaves the input under fuzz/artifacts/TARGET/.
# Skipped, with a message, when the toolchain cannot fuzz (no nightly
# toolchain or no cargo-fuzz); the long runs are in fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${LVS_FUZZ_SECONDS:-30}
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz/smoke.sh: skipped: needs a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz --locked)"
    exit 0
fi
targets=$(cargo +nightly fuzz list)
cargo +nightly fuzz build >/dev/null
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $targets; do
    mkdir -p "$scratch/$target"
    cp corpus/"$target"/seed-* "$scratch/$target/"
    log=$scratch/$target.log
    if ! cargo +nightly fuzz run "$target" "$scratch/$target" -- -max_total_time="$seconds" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz/smoke.sh: FAIL $target (input saved under fuzz/artifacts/$target/)"
        exit 1
    fi
    runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo '?')
    echo "fuzz/smoke.sh: ok $target: $runs runs in $seconds s"
done
