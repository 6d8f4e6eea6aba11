#!/usr/bin/env bash
# GPU benchmark: our trainer against PyTorch eager on the same GPU, in one command (bench/gpu/README.md).
# On the GPU machine, with bench/gpu/out/trainer.tar.gz carried in (bash bench/gpu/bundle.sh here first):
#   bash bench/gpu/run.sh                 all workloads on cuda:0; report in $OUT (or bench/gpu/out/run-<time>)
#   bash bench/gpu/run.sh --quick         tiny sizes: the whole path in a minute or two
#   GPU_BENCH_DEVICE=cpu bash bench/gpu/run.sh --quick   the dry run on a machine without a GPU
# Steps: unpack the bundle, build the native shim with CMake against the libtorch and headers of the PyTorch that
# python3 imports (Debian's libtorch-dev when that PyTorch ships no CMake files), put it beside the trainer, then
# bench/gpu/drive.py runs each workload on both sides. Extra arguments go to drive.py (--only, --timeout, --cifar).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${GPU_BENCH_PYTHON:-python3}
device=${GPU_BENCH_DEVICE:-cuda:0}
out=${OUT:-bench/gpu/out/run-$(date -u +%Y%m%d-%H%M%S)}
bundle=bench/gpu/out/trainer.tar.gz
if [[ ! -f $bundle ]]; then echo "run.sh: $bundle is missing: run bash bench/gpu/bundle.sh on a machine with .NET" >&2; exit 2; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
tar -C "$work" -xzf "$bundle"

torch_cmake=$("$python" -c 'import torch.utils, os; p = torch.utils.cmake_prefix_path; print(p if os.path.isdir(p) else "")')
echo "run.sh: building the shim against ${torch_cmake:-Debian libtorch-dev} ($("$python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)'))"
started=$(date +%s)
LIBTORCH_DIR=$torch_cmake cmake -S src/Training/Native -B "$work/shim" -DCMAKE_BUILD_TYPE=Release >"$out/shim-build.log" 2>&1 \
  && cmake --build "$work/shim" -j "$(nproc)" >>"$out/shim-build.log" 2>&1 \
  || { tail -n 40 "$out/shim-build.log"; echo "run.sh: the shim did not build (log: $out/shim-build.log)" >&2; exit 1; }
echo "run.sh: shim built in $(( $(date +%s) - started )) s"
cp "$work/shim/libdashboard_native.so" "$work/trainer/"
"$python" bench/gpu/drive.py --trainer "$work/trainer/Dashboard.Training" --python "$python" --device "$device" --out "$out" "$@"
