#!/usr/bin/env bash
# Checks sbpd for known vulnerabilities: govulncheck over the binaries this
# module builds (sbpd and the packaging tool mkdeb), against an offline
# database built from the golang.org/x/vulndb module, both fetched through
# the Go module proxy at pinned versions. A vulnerability in code the
# binaries contain fails (exit 3). Binary mode: govulncheck's source mode
# cannot load the standard library of go1.27 yet.
# Usage: scripts/vulncheck.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=go1.27.3
govulncheck_version=v1.10.0
vulndb_version=v0.0.0-20261105234957-e22db6528018
cache=$PWD/.cache/vuln
mkdir -p "$cache/bin"
if [ ! -x "$cache/bin/govulncheck-$govulncheck_version" ]; then
  GOBIN="$cache/bin" go install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version"
  mv "$cache/bin/govulncheck" "$cache/bin/govulncheck-$govulncheck_version"
fi
db="$cache/db-$vulndb_version"
if [ ! -f "$db/index/db.json" ]; then
  src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$db"
  go run "golang.org/x/vulndb/cmd/indexdb@$vulndb_version" -vulns "$src/data/osv" -out "$db"
fi
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
# sbpd as scripts/build-deb.sh builds it (the same tags, so the same code
# is linked in), but not stripped: binary mode reads the symbol table, and a
# stripped binary makes govulncheck guess whole packages.
CGO_ENABLED=1 go build -trimpath -tags 'netgo osusergo sqlite_omit_load_extension' -o "$bins/sbpd" ./cmd/sbpd
(cd packaging && go build -o "$bins/mkdeb" ./mkdeb) # its own module
status=0
for b in "$bins/sbpd" "$bins/mkdeb"; do
  echo "govulncheck $(basename "$b") (database $vulndb_version):"
  "$cache/bin/govulncheck-$govulncheck_version" -db "file://$db" -mode=binary "$b" || status=$?
done
exit $status
