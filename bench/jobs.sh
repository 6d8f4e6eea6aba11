#!/usr/bin/env bash
# Job dispatch, before and after the move to Hangfire, in one run:
#   bash bench/jobs.sh [--record] [LAUNCHES] [SWEEP]     (defaults 20 and 500; about 10 minutes)
# The baseline is the last commit on Quartz (6d925b5), checked out as a worktree in /tmp/quartz-base and built there;
# the same driver (bench/Jobs) is built against each tree. Each side: a throwaway PostgreSQL, worker processes
# (`Dashboard.Training.dll`, 1 slot, 1 thread), runs launched through RunLauncher as a web node does.
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
launches="${1:-20}"; sweep="${2:-500}"
base_commit=6d925b5
base=/tmp/quartz-base
if [[ ! -d $base ]]; then git worktree add --detach "$base" "$base_commit" >/dev/null; fi
rm -rf "$base/bench/Jobs"; mkdir -p "$base/bench"; cp -r bench/Jobs "$base/bench/Jobs"; rm -rf "$base/bench/Jobs/bin" "$base/bench/Jobs/obj"
# The shim is the same at both commits: reuse this tree's build rather than compile it again.
if [[ -f src/Training/Native/build/libdashboard_native.so && ! -f $base/src/Training/Native/build/libdashboard_native.so ]]; then
  mkdir -p "$base/src/Training/Native/build"; cp src/Training/Native/build/libdashboard_native.so "$base/src/Training/Native/build/"
  touch "$base/src/Training/Native/build/libdashboard_native.so"
fi
echo "building both trees (Release)"
for tree in . "$base"; do
  dotnet build -c Release "$tree/src/Training" -v quiet -nologo >/dev/null
  dotnet build -c Release "$tree/bench/Jobs" -v quiet -nologo >/dev/null
done
measure() { dotnet "$1/bench/Jobs/bin/Release/net10.0/Dashboard.Bench.Jobs.dll" "$1/src/Training/bin/Release/net10.0/Dashboard.Training.dll" "$launches" "$sweep" | tail -1; }
echo "measuring the baseline ($base_commit)"; before=$(measure "$base"); echo "$before"
echo "measuring this tree ($(git rev-parse --short HEAD))"; after=$(measure .); echo "$after"
f() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[2])/float(sys.argv[1]):.2f}")' "$1" "$2"; }
report=$(cat <<MD

### Job dispatch, $(date -u '+%Y-%m-%d %H:%M UTC'), Quartz $base_commit vs Hangfire $(git rev-parse --short HEAD)

\`bash bench/jobs.sh --record $launches $sweep\` on $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end), a throwaway PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -1); workers with 1 slot and 1 thread; tiny runs (hyperspheres n=200, MLP [8], 1 epoch). Launch to running: $launches runs one at a time on one idle worker, from \`LaunchAsync\` to the attempt's start. Sweep: $sweep runs launched one by one on two workers, from the first launch to the last completed. Takeover: kill -9 of the host training a run (after its first epoch), to the start of its second attempt on the other host.

| | launch p50 | launch p95 | $sweep runs over 2 hosts | takeover after kill -9 |
|---|---:|---:|---:|---:|
| Quartz ($base_commit) | $(f "$before" launch_p50_ms) ms | $(f "$before" launch_p95_ms) ms | $(f "$before" sweep_runs_per_s) runs/s ($(f "$before" sweep_seconds) s) | $(f "$before" takeover_seconds) s |
| Hangfire ($(git rev-parse --short HEAD)) | $(f "$after" launch_p50_ms) ms | $(f "$after" launch_p95_ms) ms | $(f "$after" sweep_runs_per_s) runs/s ($(f "$after" sweep_seconds) s) | $(f "$after" takeover_seconds) s |
| Hangfire / Quartz | $(ratio "$(f "$before" launch_p50_ms)" "$(f "$after" launch_p50_ms)") | $(ratio "$(f "$before" launch_p95_ms)" "$(f "$after" launch_p95_ms)") | $(ratio "$(f "$before" sweep_runs_per_s)" "$(f "$after" sweep_runs_per_s)") | $(ratio "$(f "$before" takeover_seconds)" "$(f "$after" takeover_seconds)") |
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
