#!/usr/bin/env bash
# Measures `sbpd serve` as a process: start to ready (from just before exec
# to the timestamp of its "sbpd ready" log line, after which /healthz is
# checked to answer 200) and idle RSS two seconds after ready, with its
# anonymous part (heap, stacks: what sbpd itself allocates). Runs against `sbpd sandbox` on loopback.
# Usage: scripts/bench-serve.sh [runs]   (default 20)
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 # the Go go.mod needs, fetched through the Go module proxy
runs=${1:-20}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/sbpd" ./cmd/sbpd
"$work/sbpd" sandbox --listen 127.0.0.1:18766 --token bench-token --merchant-id 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90 >/dev/null &
sleep 0.5
cat > "$work/sbpd.yaml" <<YAML
listen: 127.0.0.1:18765
data_dir: $work/data
paymaster:
  base_url: http://127.0.0.1:18766
  merchant_id: 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90
  token: bench-token
YAML
ready_ms=() rss_kb=() anon_kb=()
for i in $(seq "$runs"); do
  t0=$(date +%s%N)
  "$work/sbpd" serve --config "$work/sbpd.yaml" 2>"$work/log" &
  pid=$!
  # Ready is the daemon's own "sbpd ready" line: logged once the journal is
  # open, unfinished payments are reconciled and the till API is serving.
  until grep -q '"msg":"sbpd ready"' "$work/log" 2>/dev/null; do sleep 0.005; done
  code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18765/healthz)
  [ "$code" = 200 ] || { echo "healthz answered $code after ready"; exit 1; }
  t1=$(date -d "$(grep '"msg":"sbpd ready"' "$work/log" | sed 's/.*"time":"\([^"]*\)".*/\1/')" +%s%N)
  ready_ms+=($(( (t1 - t0) / 1000000 )))
  sleep 2
  rss_kb+=($(awk '/VmRSS/ {print $2}' /proc/$pid/status))
  # RssAnon: the heap, stacks and runtime, private to the process; the rest
  # of RSS is the binary's pages, shared with the page cache.
  anon_kb+=($(awk '/RssAnon/ {print $2}' /proc/$pid/status))
  kill -TERM $pid; wait $pid || true
done
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "min %s  median %s  max %s", a[1], a[int((NR+1)/2)], a[NR]}'; }
echo "runs: $runs"
echo "start to ready, ms: $(stats "${ready_ms[@]}")"
echo "idle RSS, KiB:      $(stats "${rss_kb[@]}")"
echo "  of it anonymous:  $(stats "${anon_kb[@]}")"
