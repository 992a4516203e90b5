#!/usr/bin/env bash
# BENCHMARKS.md "Native .evtx": socagent's reader and evtx-rs (the `evtx` PyPI package) side by side in one run,
# then hunting the .evtx files against hunting their JSON conversions.
# Usage: scripts/bench-evtx.sh [records]   (needs a release build and ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${1:-1000000}
DATA=${SOCAGENT_TEST_DATA:-../shared/data}
WORK=$(mktemp -d /tmp/socagent-bench-evtx.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for corpus in deepbluecli-evtx evtx-attack-samples evtx-to-mitre-attack; do
    mkdir -p "$WORK/evtx/$corpus"
    /usr/bin/tar -xzf "$DATA/$corpus/original_evtx.tar.gz" -C "$WORK/evtx/$corpus"
done
[ -x /tmp/evtx-venv/bin/python ] || { python3 -m venv /tmp/evtx-venv && /tmp/evtx-venv/bin/pip install -q evtx; }
B=.build/release/socagent
$B bench evtx "$WORK/evtx" --records "$RECORDS"
/tmp/evtx-venv/bin/python - "$WORK/evtx" "$RECORDS" <<'PY'
import glob, os, sys, time
from evtx import PyEvtxParser
files = sorted(glob.glob(sys.argv[1] + "/**/*.evtx", recursive=True))
per_pass = sum(1 for f in files for _ in PyEvtxParser(f).records_json())
passes = max(1, -(-int(sys.argv[2]) // per_pass))
size = sum(os.path.getsize(f) for f in files) * passes
for threads in (1, 0):
    start, n = time.perf_counter(), 0
    for _ in range(passes):
        for f in files:
            for _ in PyEvtxParser(f, number_of_threads=threads).records_json():
                n += 1
    t = time.perf_counter() - start
    label = "1 thread" if threads == 1 else "all cores"
    print(f"evtx-rs records_json, {label}: {n:,} records in {t:.2f} s = {n / t:,.0f} records/s, {size / 1e6 / t:.1f} MB/s")
PY
RULES="$DATA/sigma/rules/windows"
for input in "$WORK/evtx" "$DATA/deepbluecli-evtx/jsonl $DATA/evtx-attack-samples/jsonl $DATA/evtx-to-mitre-attack/jsonl"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f "hunt wall %e s, peak RSS %M KB" $B hunt --rules "$RULES" $input > /dev/null
done
