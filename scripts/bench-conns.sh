#!/usr/bin/env bash
# Measures what idle connections cost the real `sbpd serve` (memory, file
# descriptors, threads) and how many it keeps at the till API's caps while
# the till is answered: the numbers behind tillapi.DefaultLimits and the
# unit's LimitNOFILE/TasksMax/MemoryMax (BENCHMARKS.md).
# Usage: scripts/bench-conns.sh
set -euo pipefail
export GOTOOLCHAIN=go1.27.3 # the Go go.mod needs, fetched through the Go module proxy
cd "$(dirname "$0")/.."
SBPD_FOOTPRINT=1 go test -count=1 -v -run '^TestFootprint_IdleConnections$' ./cmd/sbpd/ 2>&1 | grep -E 'conns_test|^(--- |ok|FAIL)'
