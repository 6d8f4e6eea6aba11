#!/usr/bin/env bash
# Builds what the GPU machine needs from here (it has CUDA, PyTorch and CMake, but no .NET and no network): a
# self-contained publish of the trainer for linux-x64, packed as bench/gpu/out/trainer.tar.gz (under 64 MiB, the
# most a device call carries). The shim is left out: bench/gpu/run.sh builds it there against that PyTorch's libtorch.
#   bash bench/gpu/bundle.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/gpu/out
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
echo "bundle: dotnet publish src/Training (self-contained, linux-x64)"
dotnet publish src/Training -c Release -r linux-x64 --self-contained -nologo -v quiet -clp:ErrorsOnly -o "$stage/trainer"
rm -f "$stage/trainer/libdashboard_native.so"   # built against Debian's CPU libtorch; run.sh builds its own
mkdir -p "$out"
tar -C "$stage" -czf "$out/trainer.tar.gz" trainer
size=$(stat -c %s "$out/trainer.tar.gz")
echo "bundle: $out/trainer.tar.gz, $((size / 1048576)) MiB ($(du -sh "$stage/trainer" | cut -f1) unpacked)"
if (( size > 64 * 1048576 )); then echo "bundle: over the 64 MiB a device call carries" >&2; exit 1; fi
