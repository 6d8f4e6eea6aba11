#!/usr/bin/env bash
# The runs table with 5,000 runs: time to first paint in Chromium (opened, sorted by a metric, filtered).
#   bash bench/runs-table.sh [--record] [RUNS] [REPEATS]     (default 5,000 runs, 7 loads each; about a minute)
# Goal (issue 5): first paint within 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
runs="${1:-5000}"
repeats="${2:-7}"
echo "building the dashboard and the runs-table benchmark (Release)"
dotnet build -c Release src/Web -v quiet -nologo >/dev/null
dotnet build -c Release bench/RunsTable -v quiet -nologo >/dev/null
json=$(dotnet bench/RunsTable/bin/Release/net10.0/Dashboard.Bench.RunsTable.dll src/Web/bin/Release/net10.0/Dashboard.Web.dll "$runs" "$repeats")
echo "$json"
rows=$(python3 - "$json" <<'PY'
import json, sys
for v in json.loads(sys.argv[1])["views"]:
    print(f"| {v['view']} | `{v['path']}` | {v['median_ms']:.0f} ms | {v['p95_ms']:.0f} ms | 1,000 ms |")
PY
)
report=$(cat <<MD

### Runs table, $runs runs, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)

\`bash bench/runs-table.sh --record $runs $repeats\` on $(nproc) CPUs; the dashboard in the embedded mode (SQLite), Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'); $runs finished runs, each with two sweep parameters and six metric summaries. Time from navigation to first contentful paint of the Runs page (100 rows a page, the total counted), median and p95 of $repeats loads after one warm-up load.

| view | URL | median | p95 | goal |
|---|---|---:|---:|---:|
$rows
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
