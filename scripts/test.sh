#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs the packages, builds with
# -Werror and runs every test, then builds with ASan+UBSan and runs every test again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
for flavour in release asan; do
  echo "== $flavour build"
  bash scripts/build.sh "$flavour"
  dir=build; [ "$flavour" = asan ] && dir=build-asan
  echo "== $flavour tests"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$dir" --output-on-failure -j 2
done
