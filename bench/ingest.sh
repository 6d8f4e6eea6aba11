#!/usr/bin/env bash
# Metric ingestion benchmark: points per second through the metric writer into SQLite (batched transactions) and
# into PostgreSQL (binary COPY), each a fresh database; PostgreSQL is a throwaway cluster started and removed here.
#   bash bench/ingest.sh [--record] [POINTS] [RUNS]     (default 1,000,000 points from 10 runs)
# Goals (issue 4): 20,000 points/s on SQLite, 100,000 points/s on PostgreSQL; logging under 2% of a training step.
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
points="${1:-1000000}"
runs="${2:-10}"

echo "building the ingestion benchmark (Release)"
dotnet build -c Release bench/Ingest -v quiet -nologo >/dev/null
bin=bench/Ingest/bin/Release/net10.0/Dashboard.Bench.Ingest.dll

work=$(mktemp -d /tmp/dashboard-ingest-XXXXXX)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- sh -c "$1"; else sh -c "$1"; fi; }
cleanup() { as_postgres "$pgbin/pg_ctl -D $work/pg -m immediate -w stop" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
[[ $(id -u) == 0 ]] && chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "starting a throwaway PostgreSQL ($($pgbin/postgres --version)) on port $port"
as_postgres "$pgbin/initdb -D $work/pg -U postgres -A trust -E UTF8" >/dev/null
# Durable commits (fsync on), as a lab's server would run.
as_postgres "$pgbin/pg_ctl -D $work/pg -l $work/pg.log -w -o \"-p $port -k $work -c listen_addresses=127.0.0.1\" start" >/dev/null
as_postgres "$pgbin/psql -h 127.0.0.1 -p $port -U postgres -c 'CREATE DATABASE ingest'" >/dev/null

echo "sqlite: $points points from $runs runs"
sqlite_json=$(dotnet "$bin" sqlite "$work/sqlite" "$points" "$runs")
echo "$sqlite_json"
echo "postgres: $points points from $runs runs"
pg_json=$(dotnet "$bin" postgres "Host=127.0.0.1;Port=$port;Database=ingest;Username=postgres" "$points" "$runs")
echo "$pg_json"

echo "logging cost: the worker's sink against one that drops the points, MLP on Fashion-MNIST, 16 rounds"
cost_json=$(OPENBLAS_NUM_THREADS=1 dotnet "$bin" logging-cost "$work/cost" 16)
echo "$cost_json"

rate() { python3 -c 'import json,sys; print(format(json.loads(sys.argv[1])["points_per_s"], ",.0f"))' "$1"; }
secs() { python3 -c 'import json,sys; print(format(json.loads(sys.argv[1])["seconds"], ".2f"))' "$1"; }
cost() { python3 - "$1" <<'PY'
import json, sys, statistics as st
j = json.loads(sys.argv[1])
def pairs(a, b):  # a over b per round; the first round, a warm-up of the writer and the database, is left out
    return [x / y for x, y in zip(j[a][1:], j[b][1:])]
def line(name, r):
    r = sorted(r)
    q = st.quantiles(r, n=4)
    return f"{name}: {100 * (st.median(r) - 1):+.1f}% (median of {len(r)} pairs; middle half {100 * (q[0] - 1):+.1f}% to {100 * (q[2] - 1):+.1f}%)"
step = j["batch_size"] / st.median(j["dropping_runs"])  # seconds per training step, without logging
sink, writer = st.median(j["sink_seconds_per_step"]), st.median(j["writer_cpu_seconds_per_step"])
print(f"a training step takes {1e6 * step:,.0f} µs here; the sink's work on the training thread for its 7 points, timed "
      f"apart over 50,000 steps (median of 3), is {1e6 * sink:.2f} µs, **{100 * sink / step:.2f}% of the step**; storing them "
      f"costs the writer's thread {1e6 * writer:.1f} µs of CPU a step ({100 * writer / step:.1f}% of one core, on another core "
      f"than the training thread's). Measured as whole alternating rounds, which this machine's noise blurs: " + "; ".join([
    line("CPU time of the training thread", pairs("logging_thread_cpu", "dropping_thread_cpu")),
    line("wall time", pairs("dropping_runs", "logging_runs")),
    line("CPU time of the whole process", pairs("logging_process_cpu", "dropping_process_cpu")),
]))
PY
}
report=$(cat <<MD

### Metric ingestion, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)

\`bash bench/ingest.sh --record $points $runs\` on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $points points from $runs runs x 7 keys, through MetricWriter, each into a fresh database with its summary rows.

| store | points/s | seconds | goal |
|---|---:|---:|---:|
| SQLite (WAL, batched transactions) | $(rate "$sqlite_json") | $(secs "$sqlite_json") | 20,000 |
| PostgreSQL $($pgbin/postgres --version | awk '{print $3}') (binary COPY, fsync on) | $(rate "$pg_json") | $(secs "$pg_json") | 100,000 |

Logging cost on a training step (goal under 2%): the MLP 256-128-100 on Fashion-MNIST (60,000 images), 3 epochs, one
training thread (OpenBLAS's too), every step's 7 points through the worker's sink and the metric writer into SQLite, against the same
training with a sink that drops them, alternating rounds; what logging adds: $(cost "$cost_json").
MD
)
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
