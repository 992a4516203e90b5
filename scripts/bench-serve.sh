#!/usr/bin/env bash
# Load and soak of `socagent serve` on loopback (BENCHMARKS.md, "Serving"): wrk (Debian) against GET /incidents and
# POST /alerts, with the server's RSS before and after, then a soak of N posted alerts (default 100,000) checked
# one by one against the store. Usage: scripts/bench-serve.sh [BINARY] [ALERTS]
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/socagent}"
alerts="${2:-100000}"
data="${SOCAGENT_TEST_DATA:-$(cd .. && pwd)/shared/data}"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

"$binary" ingest --store "$work/store.db" "$data/loghub/OpenSSH_2k_first500.log" >/dev/null 2>&1
token=$("$binary" token create --name bench --role analyst --json --store "$work/store.db" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
"$binary" serve --port 0 --store "$work/store.db" --offline --report-dir "$work/reports" --intel-db "$work/intel.db" \
    --interval 5 2>"$work/serve.log" &
server=$!
for _ in $(seq 300); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
for _ in $(seq 600); do
    n=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/incidents?severity=LOW" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')
    [ "$n" -ge 7 ] && break
    sleep 0.2
done
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$server/status"; }
echo "server $base, RSS after the first triage pass: $(rss)"

echo "== GET /api/v1/incidents (7 incidents), 2 threads, 16 connections, 20 s"
wrk -t2 -c16 -d20s --latency -H "Authorization: Bearer $token" "$base/api/v1/incidents" | grep -E "Requests/sec|99%|Latency  "
echo "RSS: $(rss)"

cat >"$work/post.lua" <<'LUA'
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
init = function(args) thread_tag = tostring(id) end
request = function()
  counter = counter + 1
  local body = string.format('{"@timestamp":"2025-12-10T10:%02d:%02d.000Z","kibana.alert.uuid":"wrk-%s-%d","kibana.alert.rule.name":"Load test rule %d","kibana.alert.severity":"low","host":{"name":"LOAD%d"}}', math.floor(counter / 60) % 60, counter % 60, thread_tag, counter, counter % 50, counter % 200)
  -- nil headers: wrk's own (-H Authorization, -H Content-Type) go with every request.
  return wrk.format("POST", nil, nil, body)
end
LUA
echo "== POST /api/v1/alerts (unique alerts), 2 threads, 16 connections, 20 s"
wrk -t2 -c16 -d20s --latency -s "$work/post.lua" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    "$base/api/v1/alerts" |
    grep -E "Requests/sec|99%|Latency  |Non-2xx"
echo "RSS: $(rss)"

echo "== soak: $alerts posted alerts, every id checked in the store"
python3 - "$base" "$token" "$alerts" "$server" "$work/store.db" <<'PY'
import http.client, json, sqlite3, sys, threading, time, urllib.parse
base, token, total, pid, store = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
host = urllib.parse.urlparse(base)
ids, lock, rss = [], threading.Lock(), []
def rss_kb():
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
def post(worker, count):
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    mine = []
    for n in range(count):
        body = json.dumps({"@timestamp": "2025-12-10T12:00:00.000Z", "kibana.alert.uuid": f"soak-{worker}-{n}",
                           "kibana.alert.rule.name": f"Soak rule {n % 40}", "kibana.alert.severity": "low",
                           "host": {"name": f"SOAK{n % 300}"}, "user": {"name": f"user{n % 97}"}})
        connection.request("POST", "/api/v1/alerts", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 202, (response.status, answer)
        mine.extend(answer["ids"])
    with lock:
        ids.extend(mine)
workers, started = 4, time.time()
threads = [threading.Thread(target=post, args=(w, total // workers)) for w in range(workers)]
for thread in threads: thread.start()
while any(thread.is_alive() for thread in threads):
    rss.append(rss_kb()); time.sleep(5)
for thread in threads: thread.join()
elapsed = time.time() - started
time.sleep(10)  # let the triage loop group the last ones
db = sqlite3.connect(store)
stored = {row[0] for row in db.execute("select id from triage_alerts")}
missing = [i for i in ids if i not in stored]
print(f"posted {len(ids)} alerts in {elapsed:.1f} s ({len(ids) / elapsed:.0f}/s, 4 keep-alive clients); "
      f"missing from the store: {len(missing)}; RSS samples (MB) every 5 s: "
      + " ".join(str(r // 1024) for r in rss[:: max(1, len(rss) // 12)]) + f"; final {rss_kb() // 1024} MB")
PY
