#!/usr/bin/env python3
"""Driver of the GPU benchmark (bench/gpu/README.md); standard library only, run by bench/gpu/run.sh.

For each workload writes our spec, runs our trainer (the self-contained bundle with the shim built against this
machine's PyTorch) and then bench/gpu/pytorch_gpu.py on the same spec and device, back to back, sampling each
process's GPU memory (nvidia-smi --query-compute-apps, every 0.5 s; on the CPU its VmRSS), and writes a markdown
report: samples/s of each side and the ratio, final losses, peak memory, the GPU model and driver.
"""

import argparse
import datetime
import json
import os
import random
import shlex
import subprocess
import sys
import threading
import time

GPU_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(GPU_DIR))


def log(text=""):
    print(text, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ----------------------------------------------------------------------------------------------------------------
# Workloads

def workloads(quick, cifar, gpus, cpu):
    """(name, spec) pairs. The notes' runtime study (hps/00043), the batch-size study's network, a ResNet-18."""
    hps = {"name": "hyperspheres", "n": 2000 if quick else 20000, "p": 128 if quick else 1024,
           "d": 5 if quick else 50, "classes": 10, "noise": 0.1}
    mlp = {"name": "mlp", "layer_size": [512, 256, 50], "act_funcs": ["relu", "relu", "relu"]}
    sgd = {"name": "sgd_momentum_wdecay", "lr": 0.01, "regularization": 0.0005}
    images = {"name": "cifar10", "folder": cifar}
    if quick:
        images["size"] = 512
    out = [
        ("hypersphere MLP", {"name": "gpu-hps", "dataset": hps, "model": mlp, "optimizer": sgd, "batch_size": 500,
                             "max_epochs": 2 if quick else 50, "log_every": 8}),
        ("simple CNN", {"name": "gpu-simple-cnn", "dataset": images, "model": {"name": "simple_cnn"},
                        "optimizer": {"name": "sgd", "lr": 0.1}, "batch_size": 128, "max_epochs": 1 if quick else 5,
                        "log_every": 10}),
        ("ResNet-18 fp32", {"name": "gpu-resnet18", "dataset": images, "model": {"name": "resnet18"},
                            "optimizer": {"name": "sgd_momentum_wdecay", "lr": 0.1, "regularization": 0.0005},
                            "batch_size": 256, "max_epochs": 1 if quick else 2, "log_every": 10}),
    ]
    # The spec's GPU settings: bf16 autocast (also on the CPU), TF32 and cuDNN's autotuning (CUDA only).
    resnet = out[2][1]
    out.append(("ResNet-18 bf16", dict(resnet, name="gpu-resnet18-bf16", precision="bf16", cudnn_benchmark=not cpu)))
    if not cpu:
        out.append(("ResNet-18 tf32", dict(resnet, name="gpu-resnet18-tf32", precision="tf32", cudnn_benchmark=True)))
    for k in (2, 4):
        if gpus >= k:
            name, spec = out[0]
            out.append((f"{name}, num_gpu {k}", dict(spec, name=f"gpu-hps-{k}", num_gpu=k)))
    return out


def write_synthetic_cifar(folder, train=50000, test=10000, seed=7):
    """CIFAR-10's binary layout with class-dependent pictures (a fixed random template per class plus noise), so
    that the models learn something and both sides read the very same bytes."""
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(seed)
    templates = [bytes(rng.randrange(256) for _ in range(3072)) for _ in range(10)]
    noise = bytes(rng.randrange(256) for _ in range(3072 * 64))

    def write(name, count, offset):
        with open(os.path.join(folder, name), "wb") as f:
            for i in range(count):
                c = (i * 7 + offset) % 10
                shift = (i * 131 + offset) % (len(noise) - 3072)
                # Half template, half noise: separable, not trivial.
                pixels = bytes((t + n) >> 1 for t, n in zip(templates[c], noise[shift:shift + 3072]))
                f.write(bytes([c]) + pixels)
    per_batch = train // 5
    for b in range(5):
        write(f"data_batch_{b + 1}.bin", per_batch, b * per_batch)
    write("test_batch.bin", test, 999)


# ----------------------------------------------------------------------------------------------------------------
# One side: a child process and its peak memory

class MemorySampler(threading.Thread):
    """Peak memory of one process: its GPU memory from nvidia-smi on a GPU, its VmRSS on the CPU (MiB)."""

    def __init__(self, pid, gpu):
        super().__init__(daemon=True)
        self.pid, self.gpu, self.peak, self.stop = pid, gpu, None, threading.Event()

    def read(self):
        if self.gpu:
            for line in sh("nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits").splitlines():
                parts = [p.strip() for p in line.split(",")]
                if len(parts) == 2 and parts[0] == str(self.pid) and parts[1].isdigit():
                    return float(parts[1])
            return None
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def run(self):
        while not self.stop.is_set():
            value = self.read()
            if value is not None:
                self.peak = max(self.peak or 0, value)
            self.stop.wait(0.5)


def run_side(label, command, out_dir, gpu, timeout):
    log(f"\n=== {label}: {' '.join(shlex.quote(c) for c in command)}")
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1, cwd=REPO,
                            env=dict(os.environ, PYTHONUNBUFFERED="1", DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="1"))
    sampler = MemorySampler(proc.pid, gpu)
    sampler.start()
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    final = None
    with open(os.path.join(out_dir, "output.log"), "w") as f:
        for line in proc.stdout:
            f.write(line)
            line = line.rstrip("\n")
            if line.startswith("{"):
                try:
                    final = json.loads(line)
                    continue
                except json.JSONDecodeError:
                    pass
            log(f"[{label}] {line}")
    rc = proc.wait()
    killer.cancel()
    sampler.stop.set()
    sampler.join()
    wall = time.monotonic() - t0
    log(f"[{label}] exit {rc} after {wall:.1f}s" + (f" (killed after the {timeout} s limit)" if wall >= timeout else ""))
    return {"rc": rc, "wall_s": wall, "final": final, "peak_mb": sampler.peak}


# ----------------------------------------------------------------------------------------------------------------

def fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trainer", required=True, help="our trainer: the bundle's Dashboard.Training executable")
    ap.add_argument("--python", default=sys.executable, help="the Python with PyTorch (and CUDA)")
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a dry run of the whole path")
    ap.add_argument("--cifar", default=None, help="CIFAR-10 binary batches; synthetic ones are written when absent")
    ap.add_argument("--only", default="", help="comma-separated workload names to run (default: all)")
    ap.add_argument("--timeout", type=int, default=240, help="seconds allowed to each side of each workload")
    args = ap.parse_args()

    started = datetime.datetime.now(datetime.timezone.utc)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    gpu = args.device.startswith("cuda")
    gpus = len([l for l in sh("nvidia-smi -L").splitlines() if l.startswith("GPU ")]) if gpu else 0
    cifar = args.cifar
    synthetic = False
    if not cifar or not os.path.exists(os.path.join(cifar, "test_batch.bin")):
        cifar = os.path.join(out, "cifar10-synthetic")
        synthetic = True
        log(f"no CIFAR-10 files: writing synthetic ones (3x32x32, 10 classes) to {cifar}")
        write_synthetic_cifar(cifar, *((2048, 512) if args.quick else (50000, 10000)))
    facts = {
        "gpu": sh("nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader") or "none",
        "torch": sh(f"{shlex.quote(args.python)} -c 'import torch; print(torch.__version__, torch.version.cuda, "
                    f"torch.backends.cudnn.version())'"),
        "cpu": sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip(), "nproc": sh("nproc"),
        "commit": sh(f"git -C {shlex.quote(REPO)} rev-parse --short HEAD") or "n/a",
    }
    log(f"GPU benchmark on {args.device}: {facts['gpu']}; torch/CUDA/cuDNN {facts['torch']}; output in {out}")

    only = {w.strip() for w in args.only.split(",") if w.strip()}
    rows = []
    for name, spec in workloads(args.quick, cifar, gpus, cpu=not gpu):
        if only and name not in only:
            continue
        slug = spec["name"]
        spec_path = os.path.join(out, f"{slug}.json")
        with open(spec_path, "w") as f:
            json.dump(dict(spec, device=args.device), f, indent=1)
        ours = run_side(f"ours {name}", [args.trainer, "train", spec_path, "--device", args.device, "--out",
                                         os.path.join(out, f"ours-{slug}")], os.path.join(out, f"ours-{slug}"), gpu, args.timeout)
        if spec.get("num_gpu", 1) > 1:
            base = None  # PyTorch's side of data parallel runs is not written yet: ours alone, for the scaling
        else:
            base = run_side(f"pytorch {name}", [args.python, os.path.join(GPU_DIR, "pytorch_gpu.py"), spec_path,
                                                "--device", args.device], os.path.join(out, f"pytorch-{slug}"), gpu, args.timeout)
        rows.append((name, spec, ours, base))

    finished = datetime.datetime.now(datetime.timezone.utc)
    lines = [f"### GPU run of {started:%Y-%m-%d %H:%M} UTC{' (dry run, --quick)' if args.quick else ''}", "",
             f"- command: `bash bench/gpu/run.sh{' --quick' if args.quick else ''}` on {args.device}; commit {facts['commit']}",
             f"- GPU (nvidia-smi: name, driver, memory): {facts['gpu']}; {gpus} GPU(s)",
             f"- PyTorch, CUDA, cuDNN: {facts['torch']}; host {facts['nproc']} CPUs ({facts['cpu']})",
             f"- data: {'synthetic CIFAR-shaped batches (no CIFAR-10 files)' if synthetic else cifar}; "
             f"duration {(finished - started).total_seconds() / 60:.1f} min", "",
             "| workload | ours samples/s | PyTorch samples/s | ours/PyTorch | ours val_loss | PyTorch val_loss "
             "| peak memory ours / PyTorch (MiB) | wall ours / PyTorch |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    failed = []
    for name, spec, ours, base in rows:
        fo = ours["final"] or {}
        fb = (base or {}).get("final") or {}
        so, sb = fo.get("samples_per_s"), fb.get("samples_per_s")
        if ours["rc"] != 0 or not ours["final"]:
            failed.append(f"ours {name}")
        if base is not None and (base["rc"] != 0 or not base["final"]):
            failed.append(f"pytorch {name}")
        lines.append(f"| {name} | {fmt(so, ',.0f')} | {fmt(sb, ',.0f')} | {f'{so / sb:.2f}' if so and sb else 'n/a'} | "
                     f"{fmt(fo.get('val_loss'), '.4f')} | {fmt(fb.get('val_loss'), '.4f')} | "
                     f"{fmt(ours['peak_mb'], ',.0f')} / {fmt((base or {}).get('peak_mb'), ',.0f')} | "
                     f"{ours['wall_s']:.0f} s / {fmt((base or {}).get('wall_s'), '.0f')} s |")
    lines.append("")
    if failed:
        lines.append(f"Failed: {', '.join(failed)} (their output.log under {out}).")
    text = "\n".join(lines) + "\n"
    log("\n" + text)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
