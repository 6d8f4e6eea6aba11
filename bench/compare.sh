#!/usr/bin/env bash
# Compare page load: 100 runs x 10,000 points of loss opened on /compare in Chromium, from navigation start to the
# moment the chart holds every run, several times (two warm-up loads left out).
#   bash bench/compare.sh [--record] [RUNS] [POINTS] [REPETITIONS]     (default 100 10000 10; about two minutes)
# Goal (issue 5): 1.5 s. The program is bench/CompareView (not in the solution: the tests never build it).
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
runs="${1:-100}"; points="${2:-10000}"; reps="${3:-10}"
echo "building the dashboard and the compare benchmark (Release)"
dotnet build -c Release src/Web -v quiet -nologo >/dev/null
dotnet build -c Release bench/CompareView -v quiet -nologo >/dev/null
# The build itself loads the machine: give the load average up to two minutes to settle.
for _ in $(seq 24); do [[ $(cut -d' ' -f1 /proc/loadavg | cut -d. -f1) -lt 1 ]] && break; sleep 5; done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
[[ $(cut -d' ' -f1 /proc/loadavg | cut -d. -f1) -ge 1 ]] && echo "warning: load average $load_before; the figures need an idle machine" >&2
json=$(dotnet bench/CompareView/bin/Release/net10.0/Dashboard.Bench.CompareView.dll src/Web/bin/Release/net10.0/Dashboard.Web.dll "$runs" "$points" "$reps")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$json"
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(f"{v:,.0f}" if v >= 10 else f"{v:.2f}")' "$json" "$1"; }
report=$(cat <<MD

### Compare page, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)

\`bash bench/compare.sh --record $runs $points $reps\` on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $load_before before, $load_after after; Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'). $runs finished runs of $(field points_per_run) points of \`loss\` (and \`updates\`) in SQLite, the dashboard in its own process; \`/compare?runs=<all>&key=loss\` opened $reps times in new tabs of one browser (a profile on disk, so plotly.js comes from its code cache), after two warm-up loads. Time from navigation start to the moment the chart holds every run ($(field traces) traces, $(field drawn_points) points drawn).

| median | p95 | max | goal |
|---:|---:|---:|---:|
| $(field median_ms) ms | $(field p95_ms) ms | $(field max_ms) ms | 1,500 ms |

Medians of the parts: page HTML $(field page_ms) ms; plotly.js (Plotly.Blazor's copy) parsed and run at $(field plotly_ms) ms; the chart holding every run $(field draw_ms) ms after that (the data comes through the page's circuit, no API call).
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
