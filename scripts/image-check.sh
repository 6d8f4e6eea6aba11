#!/usr/bin/env bash
# Checks the Dockerfile's runtime image where no Docker engine runs: the runtime stage's Debian and packages
# (read from the Dockerfile) in a debootstrap'd folder, the apps published self-contained as the build stage does,
# then the dashboard started inside it (chroot) trains a real run on Fashion-MNIST, and the worker's health command
# answers. What it cannot check is Docker itself and the build stage's download of .NET. Needs root and the network
# to Debian's mirror; about 1.5 GB in WORK (default /tmp/dashboard-image).
#   bash scripts/image-check.sh [WORK]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/dashboard-image}"
root="$work/rootfs"
port=8089
if [[ $(id -u) != 0 ]]; then echo "image-check: needs root (debootstrap, chroot)" >&2; exit 2; fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null

# The runtime stage: the suite of its FROM line and the packages of its apt-get install.
runtime=$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' Dockerfile)
suite=$(printf '%s' "$runtime" | sed -n 's/^FROM debian:\([a-z]*\).*/\1/p')
packages=$(printf '%s' "$runtime" | tr '\\\n' '  ' | sed -n 's/.*--no-install-recommends \(.*\) && rm -rf.*/\1/p')
echo "runtime stage: debian $suite with: $packages"

if [[ ! -x "$root/usr/bin/apt-get" ]]; then
  echo "debootstrap $suite into $root"
  debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian >"$work.debootstrap.log" 2>&1 \
    || { tail -5 "$work.debootstrap.log"; exit 1; }
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
cleanup() { pkill -f "$root/app/web/Dashboard.Web" 2>/dev/null || pkill -f "/app/web/Dashboard.Web" 2>/dev/null || true; umount "$root/proc" 2>/dev/null || true; }
trap cleanup EXIT
echo "installing the runtime packages"
chroot "$root" /bin/sh -c "apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages >/dev/null"

echo "publishing self-contained, as the build stage does"
bash scripts/setup.sh >/dev/null
rm -rf "$root/app" && mkdir -p "$root/data"
dotnet publish src/Web -c Release -r linux-x64 --self-contained -o "$root/app/web" -v quiet -nologo >/dev/null
dotnet publish src/Training -c Release -r linux-x64 --self-contained -o "$root/app/worker" -v quiet -nologo >/dev/null

echo "starting /app/web/Dashboard.Web inside it"
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root Storage__DataDir=/data ASPNETCORE_URLS="http://127.0.0.1:$port" \
  sh -c 'cd /app/web && exec /app/web/Dashboard.Web' >"$work.web.log" 2>&1 &
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 1; done
echo "health: $(curl -s "http://127.0.0.1:$port/health")"
launched=$(curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/api/experiments" \
  -d '{"name":"image-check","dataset":{"name":"fashion_mnist","size":2000},"model":{"name":"mlp","layer_size":[64]},"batch_size":100,"max_epochs":2}')
run=$(printf '%s' "$launched" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run_ids"][0])')
echo "launched run $run on Fashion-MNIST from Debian's dataset-fashion-mnist"
status=""
for _ in $(seq 120); do
  status=$(curl -s "http://127.0.0.1:$port/api/runs/$run" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["status"], r["epoch"], r.get("error") or "")')
  case "$status" in completed*|failed*|diverged*|cancelled*) break ;; esac
  sleep 1
done
echo "run $run: $status"
health=$(chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root Storage__DataDir=/data /app/worker/Dashboard.Training health || true)
echo "worker health: $health"
[[ "$status" == completed* && "$health" == healthy* ]] && echo "image check passed" || { tail -20 "$work.web.log"; echo "image check FAILED"; exit 1; }
