#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs the packages, builds, and runs the
# lienthong demo (data under ./lienthong-data). Extra arguments go to 'lienthong demo'.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
exec ./build/gateway/lienthong demo "$@"
