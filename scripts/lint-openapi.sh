#!/usr/bin/env bash
# Lints the till API's OpenAPI document with Redocly's own checker (its
# recommended rules): no error may remain, so strict validators and
# generated clients take the document, "dialog": null included. The checker
# comes from the npm registry into .cache/redocly, pinned.
# Usage: scripts/lint-openapi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.77.0
dir=.cache/redocly
if [ ! -x "$dir/node_modules/.bin/redocly" ] || [ "$(cat "$dir/version" 2>/dev/null)" != "$version" ]; then
  command -v npm >/dev/null 2>&1 || { echo "lint-openapi: npm is needed (Node.js 20 or later)" >&2; exit 1; }
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "@redocly/cli@$version" >/dev/null
  echo "$version" > "$dir/version"
fi
"$dir/node_modules/.bin/redocly" lint --format=summary drivers/tillapi/openapi.json 2>&1 | grep -v '[║╔╚]'
