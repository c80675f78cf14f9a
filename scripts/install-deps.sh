#!/usr/bin/env bash
# Installs every Debian 12 package Lienthong needs to build, test and run.
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates dpkg-dev systemd
  libpoco-dev
  libxml2-dev libxml2-utils
  libxmlsec1-dev xmlsec1
  softhsm2 libengine-pkcs11-openssl opensc
  libssl-dev openssl
  libsqlite3-dev sqlite3
  zlib1g-dev
  libpodofo-dev poppler-utils qpdf fonts-dejavu-core libnss3-tools
  catch2
  chromium
  prometheus
)
# Node.js and npm fetch the dashboard's charting library. Debian's nodejs and npm packages are
# used unless a Node.js with npm is already installed (some images ship one that conflicts with
# Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  bash "$(dirname "$0")/install-web.sh"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
bash "$(dirname "$0")/install-web.sh"
