#!/usr/bin/env bash
# Starts the dashboard in the embedded mode: one SQLite file under ./data, the worker in-process, Fashion-MNIST ready.
# The address: --urls URL, or ASPNETCORE_URLS, or http://localhost:5000.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
export Storage__DataDir="${Storage__DataDir:-$PWD/data}"
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://localhost:5000}"
exec dotnet src/Web/bin/Release/net10.0/Dashboard.Web.dll "$@"
