#!/bin/sh
# Run every fuzz target at once for SECONDS (default 1800) with the issue's limits, from the
# binaries `cargo +nightly fuzz build` made (so a change to the sources mid-run does not trigger
# a rebuild). Logs go to artifacts/<target>.log, findings to artifacts/<target>/.
# Usage: fuzz/run_all.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")"
secs=${1:-1800}
[ $# -gt 0 ] && shift
targets=${*:-"decode_value decode_typed scan roundtrip class_bridge dis joblib"}
bin=target/x86_64-unknown-linux-gnu/release
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    "$bin/$t" "corpus/$t" -dict=pickle.dict -rss_limit_mb=1024 -timeout=5 \
        -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="artifacts/$t/" \
        > "artifacts/$t.log" 2>&1 &
done
wait
for t in $targets; do
    echo "$t: $(grep -E '^#[0-9]+' "artifacts/$t.log" | tail -n 1)"
    grep -E '^stat::|^SUMMARY|Test unit written' "artifacts/$t.log" || true
done
