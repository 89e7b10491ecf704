#!/usr/bin/env bash
# Refreshes the dashboard's third-party browser files from the npm registry (a maintainer's step, not a build step:
# the files are committed, so neither a build of this repository nor a host ever needs Node.js).
#   bash eng/dashboard-vendor/update.sh      # after changing a version in package.json
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../src/Radiant.AspNetCore/Dashboard/Assets/vendor"
cd "$here"
npm install --no-audit --no-fund --ignore-scripts >/dev/null
m=node_modules
cp "$m/preact/dist/preact.mjs" "$out/preact.mjs"
# The hooks module imports "preact" by bare name; browsers without an import map need a relative path.
sed 's/from"preact"/from".\/preact.mjs"/' "$m/preact/hooks/dist/hooks.mjs" > "$out/preact-hooks.mjs"
cp "$m/htm/dist/htm.mjs" "$out/htm.mjs"
cp "$m/chart.js/dist/chart.umd.min.js" "$out/chart.umd.min.js"
{
  echo "Third-party files in this folder, unmodified except where noted. Refreshed by eng/dashboard-vendor/update.sh."
  echo "preact-hooks.mjs: its import of \"preact\" rewritten to \"./preact.mjs\"."
  for p in preact htm chart.js; do
    echo; echo "=== $p@$(node -p "require('./$m/$p/package.json').version") ==="
    cat "$m/$p"/LICENSE*
  done
} > "$out/LICENSES.txt"
rm -rf node_modules
echo "vendor files updated in $out"
