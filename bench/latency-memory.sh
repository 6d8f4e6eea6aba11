#!/usr/bin/env bash
# Server memory of open run pages (one Blazor circuit each): one page, then PAGES pages, in Chromium tabs.
#   bash bench/latency-memory.sh [PAGES]     (default 50; about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
pages="${1:-50}"
dotnet build -c Release src/Web -v quiet -nologo >/dev/null
dotnet build -c Release bench/Latency -v quiet -nologo >/dev/null
dotnet bench/Latency/bin/Release/net10.0/Dashboard.Bench.Latency.dll src/Web/bin/Release/net10.0/Dashboard.Web.dll memory "$pages"
