#!/usr/bin/env bash
# Measures `sbpd serve` as a process: start to ready (from just before exec
# to the timestamp of its "sbpd ready" log line, after which /healthz is
# checked to answer 200) and idle RSS two seconds after ready, with its
# anonymous part (heap, stacks: what sbpd itself allocates). Runs against `sbpd sandbox` on loopback.
# Usage: scripts/bench-serve.sh [runs]   (default 20; SBPD_BIN=path: that binary;
#        PORT=18765: the till API's port, the sandbox's is PORT+1)
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 # the Go go.mod needs, fetched through the Go module proxy
runs=${1:-20}
port=${PORT:-18765}
sandbox_port=$((port + 1))
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# The package's binary: built as scripts/build-deb.sh builds it (static-pie,
# stripped), or SBPD_BIN=path measures a given one.
if [ -n "${SBPD_BIN:-}" ]; then
  cp "$SBPD_BIN" "$work/sbpd"
else
  CGO_ENABLED=1 go build -trimpath -buildmode=pie -tags 'netgo osusergo sqlite_omit_load_extension' \
    -ldflags '-s -w -linkmode external -extldflags "-static-pie -Wl,-z,pack-relative-relocs"' -o "$work/sbpd" ./cmd/sbpd
fi
ls -l "$work/sbpd" | awk '{printf "binary: %.1f MB\n", $5 / 1e6}'
# The sandbox runs from a copy: a kiosk has none, and the pages it touched
# in the same file would be mapped into sbpd's RSS too (the kernel maps a
# whole cached folio of the file on a fault).
cp "$work/sbpd" "$work/sandbox"
# sbpd's file leaves the page cache, to be read back by its starts as on a
# kiosk after boot: just written by the linker, it sits there in large
# folios that a fault maps whole (kernel 6.x), 6-7 MB more file-backed RSS.
# WARM=1 keeps it (the figures before 2026-12-06 were measured so).
if [ -z "${WARM:-}" ]; then
  sync "$work/sbpd"
  dd if="$work/sbpd" iflag=nocache count=0 status=none
fi
"$work/sandbox" sandbox --listen 127.0.0.1:$sandbox_port --token bench-token --merchant-id 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90 >/dev/null &
sleep 0.5
kill -0 $! 2>/dev/null || { echo "the sandbox did not start on 127.0.0.1:$sandbox_port (PORT=…)"; exit 1; }
cat > "$work/sbpd.yaml" <<YAML
listen: 127.0.0.1:$port
data_dir: $work/data
paymaster:
  base_url: http://127.0.0.1:$sandbox_port
  merchant_id: 0b7c2f9e-3a51-4c1d-9e8a-5f2d6c7b8a90
  token: bench-token
YAML
ready_ms=() rss_kb=() anon_kb=()
for i in $(seq "$runs"); do
  # Emptied here, not by the redirection below, which the forked shell
  # does later: the wait below could otherwise see the last run's line.
  : >"$work/log"
  t0=$(date +%s%N)
  "$work/sbpd" serve --config "$work/sbpd.yaml" 2>>"$work/log" &
  pid=$!
  # Ready is the daemon's own "sbpd ready" line: logged once the journal is
  # open, unfinished payments are reconciled and the till API is serving.
  until grep -q '"msg":"sbpd ready"' "$work/log" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { echo "sbpd serve exited:"; cat "$work/log"; exit 1; }
    sleep 0.005
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/healthz)
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
