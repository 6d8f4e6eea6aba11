#!/usr/bin/env bash
# Live-chart latency: from a loss point logged by the trainer to that point drawn on the run page in Chromium.
#   bash bench/latency.sh [--record] [EPOCHS]     (default 4 epochs, about 1,200 steps; under a minute)
# Goal (issue 4): p95 under 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
epochs="${1:-4}"
echo "building the dashboard and the latency benchmark (Release)"
dotnet build -c Release src/Web -v quiet -nologo >/dev/null
dotnet build -c Release bench/Latency -v quiet -nologo >/dev/null
json=$(dotnet bench/Latency/bin/Release/net10.0/Dashboard.Bench.Latency.dll src/Web/bin/Release/net10.0/Dashboard.Web.dll "$epochs")
echo "$json"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$json" "$1"; }
report=$(cat <<MD

### Live-chart latency, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)

\`bash bench/latency.sh --record $epochs\` on $(nproc) CPUs; the dashboard in the embedded mode (SQLite, worker in-process), Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), an MLP on hyperspheres logging every step. Latency is from the trainer's time of a loss point to the moment the run page's \`Plotly.extendTraces\` draws it. It covers $(field logged_while_watched) of $(field points) points, those logged while the page was open.

| p50 | p95 | p99 | max | goal p95 |
|---:|---:|---:|---:|---:|
| $(field p50_ms) ms | $(field p95_ms) ms | $(field p99_ms) ms | $(field max_ms) ms | 1,000 ms |
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
