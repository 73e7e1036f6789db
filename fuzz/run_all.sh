#!/bin/sh
# Run every fuzz target for SECONDS (default 1800) each with the issue's limits, JOBS of them
# at a time (default: all at once; JOBS=2 on a 2-core machine), from the binaries
# `cargo +nightly fuzz build` made (so a change to the sources mid-run does not trigger a
# rebuild; they are looked for under $CARGO_TARGET_DIR if that is set). Logs go to
# artifacts/<target>.log, findings to artifacts/<target>/.
# Usage: [JOBS=n] fuzz/run_all.sh [SECONDS] [TARGET...]
set -eu
# A relative CARGO_TARGET_DIR is where cargo was run, not fuzz/.
case ${CARGO_TARGET_DIR:-} in
    "" | /*) ;;
    *) CARGO_TARGET_DIR=$PWD/$CARGO_TARGET_DIR ;;
esac
cd "$(dirname "$0")"
secs=${1:-1800}
[ $# -gt 0 ] && shift
targets=${*:-"decode_value decode_typed scan roundtrip class_bridge dis joblib keep_memo"}
bin=${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release
jobs=${JOBS:-0}
running=0
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    "$bin/$t" "corpus/$t" -dict=pickle.dict -rss_limit_mb=1024 -timeout=5 \
        -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="artifacts/$t/" \
        > "artifacts/$t.log" 2>&1 &
    running=$((running + 1))
    if [ "$jobs" -gt 0 ] && [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
for t in $targets; do
    echo "$t: $(grep -E '^#[0-9]+' "artifacts/$t.log" | tail -n 1)"
    grep -E '^stat::|^SUMMARY|Test unit written' "artifacts/$t.log" || true
done
