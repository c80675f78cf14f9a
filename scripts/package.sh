#!/usr/bin/env bash
# The Debian package of Lienthong (CPack, packaging/package.cmake).
#   bash scripts/package.sh [BUILD]         builds BUILD/lienthong_VERSION_ARCH.deb [build]
#   bash scripts/package.sh check [BUILD]   also installs it into a scratch root and checks it:
#     the Depends are Debian packages, every file is where the unit and the example configuration
#     expect it, the installed binary runs and validates a package, serving the example
#     configuration stops with a message instead of making a development PKI, and
#     `systemd-analyze verify` accepts the unit (its exposure score is printed).
# The scratch root is a temporary folder; nothing is installed on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=build
if [ "${1:-}" = check ]; then mode=check; shift; fi
build=${1:-build}
[ -f "$build/CMakeCache.txt" ] || bash scripts/build.sh release
cmake --build "$build" --target lienthong >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; exit 1; }
deb=$(ls "$work"/out/lienthong_*.deb)
cp "$deb" "$build/"
deb="$build/$(basename "$deb")"
echo "package: $deb ($(du -h "$deb" | cut -f1))"
[ "$mode" = check ] || exit 0

failures=0
check() {  # check "what" command...: prints ok/FAILED with what was checked
  local what=$1; shift
  if "$@" >"$work/last.log" 2>&1; then echo "  ok: $what"; else
    echo "  FAILED: $what"; sed 's/^/    /' "$work/last.log"; failures=$((failures + 1)); fi
}
info=$(dpkg-deb --field "$deb" Package Version Architecture Depends)
echo "$info" | sed 's/^/  /'
depends=$(dpkg-deb --field "$deb" Depends)
depends_are_debian() {  # every dependency names a package Debian has (installed or known to apt)
  local names
  names=$(echo "$depends" | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep -v '^$')
  echo "$names" | grep -q '^libpoco' || { echo "no libpoco dependency in: $depends"; return 1; }
  for n in $names; do
    dpkg-query -W "$n" >/dev/null 2>&1 || apt-cache show "$n" >/dev/null 2>&1 || { echo "'$n' is not a Debian package"; return 1; }
  done
}
check "Depends are Debian 12 packages" depends_are_debian
root="$work/root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$root/DEBIAN"
for f in usr/bin/lienthong usr/share/lienthong/web/dashboard.html usr/share/lienthong/web/dashboard.js \
         etc/lienthong/lienthong.conf lib/systemd/system/lienthong.service usr/share/doc/lienthong/README.md \
         usr/share/lienthong/monitoring/lienthong-alerts.yml usr/share/lienthong/monitoring/lienthong-dashboard.json \
         DEBIAN/postinst DEBIAN/prerm DEBIAN/postrm DEBIAN/conffiles; do
  check "contains /$f" test -s "$root/$f"
done
check "the example configuration is a conffile" grep -qx /etc/lienthong/lienthong.conf "$root/DEBIAN/conffiles"
check "postinst makes the lienthong system user and /var/lib/lienthong" \
  grep -q 'adduser --system --group --home /var/lib/lienthong' "$root/DEBIAN/postinst"
lt="$root/usr/bin/lienthong"
no_missing_libs() { ! ldd "$lt" | grep 'not found'; }
check "every shared library of the binary is found" no_missing_libs
check "the installed binary runs (--version)" "$lt" --version
check "the installed binary writes and validates a package" \
  sh -c "'$lt' sample --out '$work/sample.edxml' && '$lt' validate '$work/sample.edxml'"
# The example configuration, pointed at a scratch data folder: its TLS files do not exist, so the
# node must stop naming the file, never fall back to a development PKI.
sed "s#/var/lib/lienthong#$work/data#; s#/etc/lienthong#$root/etc/lienthong#g; s#/usr/share/lienthong#$root/usr/share/lienthong#" \
  "$root/etc/lienthong/lienthong.conf" >"$work/node.conf"
serve_refuses() {
  local out rc=0
  out=$(timeout 20 "$lt" serve --config "$work/node.conf" 2>&1) || rc=$?
  echo "$out"
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo "$out" | grep -q "$work/node.conf" && [ ! -e "$work/data/pki" ]
}
check "serving the example configuration without its files stops with a message, no dev PKI" serve_refuses
# systemd-analyze checks that ExecStart is executable on this machine: point it at the scratch
# root's binary, and verify the unit as installed otherwise.
sed "s#/usr/bin/lienthong#$lt#" "$root/lib/systemd/system/lienthong.service" >"$work/lienthong.service"
check "systemd-analyze verify accepts the unit" systemd-analyze verify "$work/lienthong.service"
if systemd-analyze security --offline=true "$work/lienthong.service" >"$work/security.log" 2>&1; then
  echo "  $(grep 'Overall exposure' "$work/security.log" | sed 's/→ //')"
fi
if [ "$failures" -gt 0 ]; then echo "package check: $failures check(s) FAILED"; exit 1; fi
echo "package check: all checks passed"
