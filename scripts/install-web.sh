#!/usr/bin/env bash
# Installs the dashboard's front-end library (Chart.js, pinned in gateway/web/package.json and
# package-lock.json) from the npm registry into gateway/web/node_modules, which git ignores.
# The node serves gateway/web/node_modules/chart.js/dist/chart.umd.js at /dashboard/chart.js.
# Safe to run again.
set -euo pipefail
web="$(cd "$(dirname "$0")/../gateway/web" && pwd)"
if [ -f "$web/node_modules/chart.js/dist/chart.umd.js" ]; then
  echo "install-web: chart.js present in $web/node_modules"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install-web: npm not found; install Debian's nodejs and npm (scripts/install-deps.sh)" >&2
  exit 1
fi
cd "$web"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
test -f node_modules/chart.js/dist/chart.umd.js
echo "install-web: chart.js installed in $web/node_modules"
