#!/usr/bin/env bash
# Installs what the dashboard needs on a fresh Debian machine (only what is missing), then builds everything,
# the native libtorch shim included. Used by start.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in libtorch-dev libopenblas0-pthread dataset-fashion-mnist postgresql chromium python3-torch; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
# Tools may come from elsewhere than Debian (a Node.js install of its own, say): only their absence matters.
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not found)" >&2; exit 1; }

if [ ! -f node_modules/bootstrap/dist/css/bootstrap.min.css ]; then
  echo "setup: npm ci (bootstrap)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building (the native shim builds with the solution; first build takes a minute or two)"
dotnet build Dashboard.sln -c Release -nologo -v quiet -clp:ErrorsOnly
