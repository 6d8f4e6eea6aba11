#!/usr/bin/env bash
# ASHA against training every run to the end (issue 18): the same 81-run scaling-law grid on Fashion-MNIST (an MLP
# of width 32/128/512 and depth 1/2/3, training subsets of 6,250/12,500/25,000 samples, seeds 0/1/2; 9 epochs,
# batch 512, Adam), launched as a shuffled grid sweep through the API of a dashboard this script starts (embedded SQLite,
# 2 worker slots, 1 training thread each), once without early stopping and once with ASHA (rungs at 1, 3, 9
# epochs, reduction factor 3). Reported: CPU-hours of training, epochs trained, wall time and the best val_loss.
#   bash bench/asha.sh [--record] [--quick]     (about 20 minutes on 2 cores; --quick: 8 small runs, a dry run)
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
quick="${1:-}"

echo "building the dashboard (Release)"
dotnet build -c Release src/Web -v quiet -nologo >/dev/null
work=$(mktemp -d /tmp/dashboard-asha-XXXXXX)
port=5097
Storage__DataDir="$work" Worker__Slots=2 Training__Threads=1 OPENBLAS_NUM_THREADS=1 \
  dotnet src/Web/bin/Release/net10.0/Dashboard.Web.dll --urls "http://127.0.0.1:$port" >"$work/dashboard.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$port/api/workers" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$port/api/workers" >/dev/null || { tail -30 "$work/dashboard.log"; exit 1; }

json=$(python3 bench/asha.py "http://127.0.0.1:$port" $quick | tee /dev/stderr | tail -1)
table=$(python3 - "$json" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
f, a = j["full"], j["asha"]
def row(name, r):
    return (f"| {name} | {r['runs']} ({r['stopped']} stopped) | {r['epochs']} | {r['cpu_hours']:.3f} | {r['wall_seconds'] / 60:.1f} min "
            f"| {r['best_val_loss']:.4f} ({r['best_run']}: {json.dumps(r['best_params'])}) |")
print("| sweep | runs | epochs trained | CPU-hours of training | wall | best val_loss (run: params) |")
print("|---|---:|---:|---:|---:|---|")
print(row("every run to the end", f))
print(row("ASHA", a))
print(f"| ASHA / full | | {a['epochs'] / f['epochs']:.2f} | {a['cpu_hours'] / f['cpu_hours']:.2f} | {a['wall_seconds'] / f['wall_seconds']:.2f} "
      f"| {a['best_val_loss'] - f['best_val_loss']:+.4f} |")
PY
)
report=$(cat <<MD

### ASHA against every run to the end, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)

\`bash bench/asha.sh --record $quick\` on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; embedded dashboard, 2 worker slots, 1 training thread each. The grid (shuffled, the same order in both): MLP width 32/128/512 × depth 1/2/3 × Fashion-MNIST subsets of 6,250/12,500/25,000 × seeds 0/1/2, 9 epochs, batch 512, Adam 1e-3; validation on the 10,000 test images every epoch. ASHA: val_loss, rungs at 1, 3, 9 epochs, reduction factor 3. CPU-hours: the runs' own training clocks (\`elapsed\`), one thread each.

$table
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
