#!/bin/sh
# Runs every fuzz target of sbpd for DURATION each (default 10s), one after
# another, and exits non-zero if any of them fails. A failing input is saved
# under the package's testdata/fuzz/FuzzXxx/ and from then on runs as a
# regular test in `go test ./...`.
#
#   scripts/fuzz.sh            # 5000 inputs per target (about 25 s for all)
#   scripts/fuzz.sh 5m         # longer: any go test -fuzztime, e.g. 5m or 1000000x
#
# The default budget is a count, not a time: a time budget ends on a
# deadline, and Go's fuzzing engine can miss it while it minimises an input
# ("context deadline exceeded" with no failing input). A count has no
# deadline; minimising is bounded by a count too.
#
# One target alone, for as long as you like (Ctrl-C stops it):
#   go test -run '^$' -fuzz '^FuzzStartBody$' ./drivers/tillapi
set -u
export GOTOOLCHAIN=go1.27.3 # the Go go.mod needs, fetched through the Go module proxy

duration=${1:-5000x}
cd "$(dirname "$0")/.." || exit 2

targets="
./drivers/paymaster FuzzParseAmount
./drivers/paymaster FuzzDecodePayment
./drivers/paymaster FuzzPaymentAmount
./drivers/paymaster FuzzDecodeAPIError
./drivers/paymaster FuzzRetryAfter
./drivers/tillapi FuzzStartBody
./drivers/tillapi FuzzSearchQuery
./drivers/sqlite FuzzSearchAmount
./config FuzzNormalize
./config FuzzReadTillFile
./config FuzzLoadTemplate
./config FuzzParseEnvFile
./printer FuzzParseStatus
./plugin FuzzPrintable
./plugin FuzzParseProbeOrderNo
"

failed=""
n=0
echo "$targets" | {
	while read -r pkg target; do
		[ -n "$pkg" ] || continue
		n=$((n + 1))
		echo "=== $target ($pkg, $duration)"
		if ! go test -run '^$' -fuzz "^$target\$" -fuzztime "$duration" -fuzzminimizetime 200x "$pkg"; then
			failed="$failed $pkg:$target"
		fi
	done
	if [ -n "$failed" ]; then
		echo "FAIL:$failed"
		echo "Failing inputs are in the packages' testdata/fuzz/; rerun one with go test -run '^FuzzXxx/NAME\$' ./pkg"
		exit 1
	fi
	echo "PASS: $n fuzz targets, $duration each. Run longer with: scripts/fuzz.sh 10m"
}
