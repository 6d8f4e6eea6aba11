#!/usr/bin/env bash
# Training benchmark: our trainer CLI against a plain PyTorch loop, MLP and CNN on Fashion-MNIST, back to back; the
# headline is each side at its defaults (as a user runs it), then both at 1 and at 2 threads.
#   bash bench/run.sh             full run (MLP 20 epochs, CNN 3 epochs, all 60000 training samples)
#   bash bench/run.sh --record    the same, and append the report to bench/RESULTS.md
#   BENCH_QUICK=1 bash bench/run.sh   smoke test (MLP 2 epochs on 10000 samples, CNN 1 epoch on 2000)
# Further knobs (environment or flags, see `bash bench/run.sh --help`): BENCH_MODELS=mlp,cnn, BENCH_SIDES=ours,pytorch,
# BENCH_THREADS=default,1,2, BENCH_MLP_EPOCHS, BENCH_CNN_EPOCHS, BENCH_MLP_SIZE, BENCH_CNN_SIZE (stratified subset;
# 0 = all), BENCH_TRAINER.
# Outputs: bench/out/<timestamp>/ (logs, metrics.csv, result.json per run, report.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/python3 ]]; then echo "run.sh: /usr/bin/python3 (Debian's, with python3-torch) is needed" >&2; exit 2; fi
if ! command -v dotnet >/dev/null; then echo "run.sh: dotnet is not on PATH" >&2; exit 2; fi
trainer="${BENCH_TRAINER:-src/Training/bin/Release/net10.0/Dashboard.Training.dll}"
if [[ ! -f "$trainer" ]]; then
  echo "run.sh: $trainer is missing; build it first (dotnet build -c Release src/Training)" >&2
  exit 2
fi

exec /usr/bin/python3 bench/compare.py "$@"
