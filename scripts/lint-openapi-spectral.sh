#!/usr/bin/env bash
# Lints the till API's OpenAPI document with Spectral's OpenAPI ruleset
# (.spectral.yaml: spectral:oas), failing on any error or warning; its
# example rules validate every example against its schema. Redocly's lint
# is scripts/lint-openapi.sh. The checker comes from the npm registry into
# .cache/spectral, pinned.
# Usage: scripts/lint-openapi-spectral.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=6.16.3
dir=.cache/spectral
if [ ! -x "$dir/node_modules/.bin/spectral" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
  command -v npm >/dev/null 2>&1 || { echo "lint-openapi-spectral: npm is needed (Node.js 20 or later)" >&2; exit 1; }
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "@stoplight/spectral-cli@$version" >/dev/null
  echo "$version" > "$dir/version"
fi
"$dir/node_modules/.bin/spectral" lint --ruleset .spectral.yaml --fail-severity=warn drivers/tillapi/openapi.json
