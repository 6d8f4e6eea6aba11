#!/usr/bin/env bash
# The memory estimate (MemoryEstimate, shown in the form and the run page, refused beyond the device's memory)
# against the peak resident memory of a real training process: the Training CLI trains each model for one short
# epoch (a few steps) on the CPU under /usr/bin/time, which reports the process's peak RSS.
#   bash bench/memory.sh [--record]     (a few minutes; the machine may be shared: runs are one at a time)
# The first model is a baseline of a few hundred parameters: its peak is the process itself (.NET and libtorch),
# which the estimate leaves out; "run's own" is the peak less that baseline, and the ratio compares it with the estimate.
set -euo pipefail
cd "$(dirname "$0")/.."
record=0
if [[ "${1:-}" == "--record" ]]; then record=1; shift; fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
dotnet build -c Release src/Training -v quiet -nologo >/dev/null
cli=src/Training/bin/Release/net10.0/Dashboard.Training.dll
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | spec. Hyperspheres of 784 dimensions and 10 classes, 400 points (320 to train: 3 steps of 128); one CNN on
# 512 Fashion-MNIST images, whose whole dataset is loaded first.
hs='"dataset": { "name": "hyperspheres", "n": 400, "p": 784, "d": 5, "classes": 10 }'
models=(
  "baseline: mlp [16], p 8|{ \"dataset\": { \"name\": \"hyperspheres\", \"n\": 400, \"p\": 8 }, \"model\": { \"name\": \"mlp\", \"layer_size\": [16] } }"
  "mlp [2000, 2000], sgd momentum + wd|{ $hs, \"model\": { \"name\": \"mlp\", \"layer_size\": [2000, 2000] }, \"optimizer\": { \"name\": \"sgd_momentum_wdecay\", \"regularization\": 0.001 } }"
  "mlp [8000, 8000], sgd|{ $hs, \"model\": { \"name\": \"mlp\", \"layer_size\": [8000, 8000] }, \"optimizer\": { \"name\": \"sgd\" } }"
  "mlp [8000, 8000], sgd momentum + wd|{ $hs, \"model\": { \"name\": \"mlp\", \"layer_size\": [8000, 8000] }, \"optimizer\": { \"name\": \"sgd_momentum_wdecay\", \"regularization\": 0.001 } }"
  "mlp [8000, 8000], adam + wd|{ $hs, \"model\": { \"name\": \"mlp\", \"layer_size\": [8000, 8000] }, \"optimizer\": { \"name\": \"adam\", \"weight_decay\": 0.001 } }"
  "mlp [16000, 16000], sgd momentum + wd|{ $hs, \"model\": { \"name\": \"mlp\", \"layer_size\": [16000, 16000] }, \"optimizer\": { \"name\": \"sgd_momentum_wdecay\", \"regularization\": 0.001 } }"
  "cnn width 64 depth 2, fashion_mnist 512|{ \"dataset\": { \"name\": \"fashion_mnist\", \"size\": 512 }, \"model\": { \"name\": \"cnn\", \"width\": 64, \"depth\": 2 }, \"optimizer\": { \"name\": \"sgd_momentum_wdecay\", \"regularization\": 0.001 } }"
)

table="| model | parameters | estimate | peak RSS | run's own (peak − baseline) | own / estimate |
|---|---:|---:|---:|---:|---:|"
base=0
for entry in "${models[@]}"; do
  name=${entry%%|*}
  spec=${entry#*|}
  # One epoch at batch 128, seed 0: a few steps, then evaluation.
  echo "${spec%\}}, \"batch_size\": 128, \"max_epochs\": 1, \"seed\": 0 }" > "$work/spec.json"
  /usr/bin/time -f '%M' -o "$work/rss" dotnet "$cli" train "$work/spec.json" > "$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  final=$(tail -n 1 "$work/out")
  estimate=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["memory_estimate"]))' "$final")
  params=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["params"]))' "$final")
  rss=$(( $(cat "$work/rss") * 1024 ))
  if [[ $base == 0 ]]; then base=$rss; fi
  own=$(( rss - base ))
  row=$(python3 - "$name" "$params" "$estimate" "$rss" "$own" "$base" <<'EOF'
import sys
name, params, est, rss, own, base = sys.argv[1], *map(int, sys.argv[2:])
mb = lambda b: f"{b / 1e6:,.0f} MB"
ratio = "–" if rss == base else f"{own / est:.2f}"
print(f"| {name} | {params:,} | {mb(est)} | {mb(rss)} | {'–' if rss == base else mb(own)} | {ratio} |")
EOF
)
  echo "$row"
  table+=$'\n'"$row"
done

report="
### Memory estimate against peak RSS, $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git rev-parse --short HEAD)

\`bash bench/memory.sh --record\` on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (the machine is shared with other work); libtorch $(dpkg-query -W -f='${Version}' libtorch1.13 2>/dev/null || echo '?'), BLAS $(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || echo '?'). Each model trains one epoch at batch 128 on the CPU through the Training CLI; peak RSS from \`/usr/bin/time\`; the estimate is the CLI's \`memory_estimate\` (MemoryEstimate.For(spec).Total). MB = 10^6 bytes.

$table
"
echo "$report"
if [[ $record == 1 ]]; then echo "$report" >> bench/RESULTS.md; echo "appended to bench/RESULTS.md"; fi
