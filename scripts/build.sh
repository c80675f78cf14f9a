#!/usr/bin/env bash
# Configures and builds one flavour of Lienthong: scripts/build.sh [release|asan]
# release: -Wall -Wextra -Werror, RelWithDebInfo, in build/
# asan:    the same with AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
jobs=$(nproc 2>/dev/null || echo 2)
case "$flavour" in
  release) dir=build; extra=() ;;
  asan) dir=build-asan; extra=(-DLIENTHONG_SANITIZE=ON -DLIENTHONG_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release or asan)" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja -DLIENTHONG_WERROR=ON "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
