#!/bin/sh
# The Prometheus alert rules in docs/prometheus: promtool checks them and
# runs their unit tests (sbpd-rules.test.yml), and every alert must have a
# test. promtool is in Debian's prometheus package (.ci/run installs it).
#
# Usage: scripts/promtool-test.sh
set -eu
cd "$(dirname "$0")/../docs/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
	echo "promtool-test: promtool is not installed (apt-get install prometheus)" >&2
	exit 1
fi
promtool check rules sbpd-rules.yml
missing=
for alert in $(sed -n 's/^[[:space:]]*- alert:[[:space:]]*\([A-Za-z0-9_]*\).*/\1/p' sbpd-rules.yml); do
	grep -q "alertname: $alert\$" sbpd-rules.test.yml || missing="$missing $alert"
done
if [ -n "$missing" ]; then
	echo "promtool-test: no unit test in sbpd-rules.test.yml for:$missing" >&2
	exit 1
fi
promtool test rules sbpd-rules.test.yml
