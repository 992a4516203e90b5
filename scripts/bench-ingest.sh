#!/usr/bin/env bash
# BENCHMARKS.md "Ingest against the Python loader": for each size, generate lean Winlogbeat JSON lines with the
# yardstick generator, then load them with ../shared/bench/pyloader.py and with `socagent ingest`, back to back in
# the same run (this VM drifts by ±30 % between runs, so only same-run ratios mean anything). Then hunt the
# largest file with the SigmaHQ Windows rules and the first 1,000 events of it (rule loading dominates that one),
# with the rules compiled by the first hunt read from the rule cache, and without the cache.
# Usage: scripts/bench-ingest.sh [events ...]   (default 300000 1000000; needs a release build and ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SOCAGENT_SHARED:-../shared}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(300000 1000000)
WORK=$(mktemp -d /tmp/socagent-bench-ingest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Compiled rules are cached here: the large hunt compiles them, the small one reads them back.
export SOCAGENT_CACHE_DIR="$WORK/cache"
B=$(pwd)/.build/release/socagent
measure() {  # label command... -> "label wall cpu rss_mb"
    local label=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > /dev/null 2> "$WORK/stderr" || {
        cat "$WORK/stderr" >&2
        return 1
    }
    read -r wall user sys rss < "$WORK/time"
    awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" \
        'BEGIN { printf "%s %.1f %.1f %.0f", l, w, u + s, r / 1024 }'
}
echo "| events | input | loader | wall s | CPU s | peak RSS MB | on disk MB | × input | wall ratio (socagent ÷ Python) |"
echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in "${SIZES[@]}"; do
    input="$WORK/g$n.jsonl"
    python3 "$SHARED/bench/gen_winlogbeat.py" "$n" "$input" 7 lean > /dev/null
    in_mb=$(du -m --apparent-size "$input" | cut -f1)
    read -r _ py_wall py_cpu py_rss <<< "$(measure python python3 "$SHARED/bench/pyloader.py" "$input" "$WORK/py.db")"
    py_disk=$(du -m --apparent-size "$WORK/py.db" | cut -f1)
    rm -f "$WORK/py.db"
    read -r _ s_wall s_cpu s_rss <<< "$(measure socagent "$B" ingest --store "$WORK/s.db" "$input")"
    s_disk=$(du -cm --apparent-size "$WORK"/s.db* | tail -1 | cut -f1)
    rm -f "$WORK"/s.db*
    awk -v n="$n" -v i="$in_mb" -v pw="$py_wall" -v pc="$py_cpu" -v pr="$py_rss" -v pd="$py_disk" \
        -v sw="$s_wall" -v sc="$s_cpu" -v sr="$s_rss" -v sd="$s_disk" 'BEGIN {
        printf "| %\047d | %d MB | Python loader | %.1f | %.1f | %d | %d | %.2f | |\n", n, i, pw, pc, pr, pd, pd / i
        printf "| | | socagent | %.1f | %.1f | %d | %d | %.2f | %.2f (%.2f× its speed) |\n", sw, sc, sr, sd, sd / i, sw / pw, pw / sw
    }'
    last=$input
    [ "$n" = "${SIZES[-1]}" ] || rm -f "$input"
done
rules="$SHARED/data/sigma/rules/windows"
head -1000 "$last" > "$WORK/first1000.jsonl"
echo
echo "| hunt (2,407 SigmaHQ Windows rules) | wall s | CPU s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: |"
for run in "$last" "$WORK/first1000.jsonl" "$WORK/first1000.jsonl --no-rule-cache"; do
    read -r input flag <<< "$run"
    read -r _ wall cpu rss <<< "$(measure hunt "$B" hunt $flag --rules "$rules" "$input")"
    echo "| $(basename "$input") ($(wc -l < "$input") events)${flag:+ $flag} | $wall | $cpu | $rss |"
done
