#!/usr/bin/env bash
# What the host's system sampler (sys/ metrics, issue 18) costs a training step: the MLP 256-128-100 on Fashion-MNIST,
# one training thread, every step logged through the worker's sink into SQLite, with the sampler tracking the run
# every 5 s (the default), every 0.1 s (fifty times as often), and not at all, in alternating rounds; plus one sample
# timed apart over 2,000. Goal: under 1% of a step.
#   bash bench/sampling.sh [--record] [ROUNDS]     (default 5 rounds; about 4 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
rounds="${1:-5}"

echo "building the benchmark (Release)"
dotnet build -c Release bench/Ingest -v quiet -nologo >/dev/null
bin=bench/Ingest/bin/Release/net10.0/Dashboard.Bench.Ingest.dll
work=$(mktemp -d /tmp/dashboard-sampling-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "sampling cost: $rounds rounds of 2 epochs each, without sampling, every 5 s, every 0.1 s"
json=$(OPENBLAS_NUM_THREADS=1 dotnet "$bin" sampling-cost "$work" "$rounds")
echo "$json"
summary=$(python3 - "$json" <<'PY'
import json, sys, statistics as st
j = json.loads(sys.argv[1])
off = j["off_seconds_per_step"]
def ratio(key):
    r = [x / y for x, y in zip(j[key], off)]
    return f"{100 * (st.median(r) - 1):+.2f}% (median of {len(r)} pairs; {100 * (min(r) - 1):+.2f}% to {100 * (max(r) - 1):+.2f}%)"
step = st.median(off)
cpu, wall = j["sample_cpu_seconds"], j["sample_wall_seconds"]
print(f"| step time, no sampling | {1e6 * step:,.0f} µs (median of {len(off)} rounds of {j['steps_per_round']} steps) |")
print(f"| step time, sampling every 5 s (default) | {1e6 * st.median(j['every_5s_seconds_per_step']):,.0f} µs: {ratio('every_5s_seconds_per_step')} |")
print(f"| step time, sampling every 0.1 s | {1e6 * st.median(j['every_0_1s_seconds_per_step']):,.0f} µs: {ratio('every_0_1s_seconds_per_step')} |")
print(f"| one sample, timed apart over 2,000 | {1e6 * wall:,.0f} µs wall, {1e6 * cpu:,.0f} µs CPU (its points stored too): "
      f"spread over the steps between two samples, **{100 * cpu / 5:.4f}% of a step** every 5 s, {100 * cpu / 0.1:.2f}% every 0.1 s |")
PY
)
report=$(cat <<MD

### System sampling cost, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)

\`bash bench/sampling.sh --record $rounds\` on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), no GPU (so no nvidia-smi call in a sample; on a GPU host each sample adds one nvidia-smi process, off the training thread); 1-minute load before the run: $(cut -d' ' -f1 /proc/loadavg). Goal: under 1% of a step.

| measure | figure |
|---|---|
$summary
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
