#!/usr/bin/python3
"""Driver of the training benchmark (bench/README.md); standard library only, run by bench/run.sh.

For each model (mlp, cnn) and each thread setting (default: each side as a user runs it, then both at 1 and at 2
threads) runs our trainer CLI and then a plain PyTorch loop (bench/pytorch_baseline.py --plain) on the same spec,
back to back, passing their output lines through, sampling each process's resident memory (VmRSS,
/proc/PID/status) every 0.5 s, and ends with markdown tables: samples/s of each side and their ratio (the headline:
both at their defaults), test accuracy, wall time, and the RSS at the end of epoch 2 and of the last epoch.
--record appends the report to bench/RESULTS.md.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
DEFAULT_TRAINER = os.path.join(REPO, "src/Training/bin/Release/net10.0/Dashboard.Training.dll")
PYTHON = "/usr/bin/python3"
SAMPLE_EVERY = 0.5
EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+) ")
COUNTS_LINE = re.compile(r"^(\d+) training and (\d+) validation samples")


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def log(text=""):
    print(text, flush=True)


# ----------------------------------------------------------------------------------------------------------------
# One run: a child process, its lines and its memory

class MemorySampler(threading.Thread):
    """VmRSS and VmHWM (kB) of one process every SAMPLE_EVERY seconds, on a fixed cadence, until it exits."""

    def __init__(self, pid, t0):
        super().__init__(daemon=True)
        self.path = f"/proc/{pid}/status"
        self.t0 = t0
        self.samples = []  # (seconds since start, VmRSS, VmHWM, RssAnon, RssFile), kB
        self.stop = threading.Event()

    def read(self):
        values = {}
        try:
            with open(self.path) as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                        values[key] = int(rest.split()[0])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return False
        if "VmRSS" not in values:  # a zombie has no VmRSS line any more
            return False
        self.samples.append((time.monotonic() - self.t0, values["VmRSS"], values.get("VmHWM"),
                             values.get("RssAnon"), values.get("RssFile")))
        return True

    def run(self):
        next_at = time.monotonic()
        while not self.stop.is_set():
            if not self.read():
                return
            next_at += SAMPLE_EVERY
            self.stop.wait(max(0.0, next_at - time.monotonic()))


def run_side(label, command, out_dir, env=None):
    """Runs one side, passing lines through with a prefix; returns what the table needs."""
    words = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
    log(f"\n=== {label}: {' '.join(words + [shlex.quote(c) for c in command])}")
    log_path = os.path.join(out_dir, "output.log")
    t0 = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                            cwd=REPO, env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})))
    sampler = MemorySampler(proc.pid, t0)
    sampler.read()
    sampler.start()
    epoch_times = {}  # epoch -> seconds since start when its line arrived
    final, counts = None, None
    with open(log_path, "w") as log_file:
        for line in proc.stdout:
            now = time.monotonic() - t0
            line = line.rstrip("\n")
            log_file.write(f"{now:9.3f}  {line}\n")
            if (m := EPOCH_LINE.match(line)) is not None:
                epoch_times[int(m.group(1))] = now
            elif (m := COUNTS_LINE.match(line)) is not None:
                counts = (int(m.group(1)), int(m.group(2)))
            if line.startswith("{"):
                try:
                    final = json.loads(line)
                    log(f"[{label}] (final metrics: {len(final)} keys)")
                    continue
                except json.JSONDecodeError:
                    pass
            log(f"[{label}] {line}")
    rc = proc.wait()
    wall = time.monotonic() - t0
    sampler.stop.set()
    sampler.join()
    log(f"[{label}] exit {rc} after {wall:.1f}s wall")
    result = {
        "label": label, "command": command, "env": env or {}, "rc": rc, "wall_s": wall, "final": final, "train_samples": counts,
        "epoch_line_s": epoch_times, "rss_samples": sampler.samples,
        "rss_at_epoch": {e: sample_at(sampler.samples, t) for e, t in epoch_times.items()},
        "peak_rss_kb": max((s[2] or s[1] for s in sampler.samples), default=None),
    }
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def sample_at(samples, t):
    """The last memory sample taken at or before t (the epoch line's arrival: end of evaluation), else the first after."""
    before = [s for s in samples if s[0] <= t]
    return before[-1] if before else next((s for s in samples if s[0] > t), None)


# ----------------------------------------------------------------------------------------------------------------
# The benchmark

def write_spec(model, epochs, size, out_dir):
    with open(os.path.join(BENCH, "specs", f"{model}.json")) as f:
        spec = json.load(f)
    spec["max_epochs"] = epochs
    if size:
        dataset = spec["dataset"]
        spec["dataset"] = dict({"name": dataset} if isinstance(dataset, str) else dataset, size=size)
    path = os.path.join(out_dir, f"{model}.json")
    with open(path, "w") as f:
        json.dump(spec, f, indent=1)
    return path


def mb(kb):
    return "n/a" if kb is None else f"{kb / 1024:.0f} MiB"


def rss_text(sample):
    """'570 MiB (anon 400, file 170)' from a sampler tuple."""
    if sample is None:
        return "n/a"
    anon, file = sample[3], sample[4]
    split = f" (anon {anon / 1024:.0f}, file {file / 1024:.0f})" if anon is not None and file is not None else ""
    return mb(sample[1]) + split


def num(value, fmt):
    return "n/a" if value is None else format(value, fmt)


def train_seconds(r):
    f = r["final"]
    if not f or not r["train_samples"] or not f.get("samples_per_s"):
        return None
    return f.get("train_seconds") or r["train_samples"][0] * f["epochs"] / f["samples_per_s"]


def machine_facts():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
    mem = sh("grep MemTotal /proc/meminfo | awk '{printf \"%.1f GiB\", $2/1048576}'")
    return {
        "nproc": sh("nproc"), "cpu": cpu, "memory": mem, "kernel": platform.release(),
        "dotnet": sh("dotnet --list-runtimes | grep Microsoft.NETCore.App | cut -d' ' -f2 | tr '\\n' ' '").strip(),
        "torch": sh(f"{PYTHON} -c 'import torch; print(torch.__version__)'"),
        "libtorch": sh("dpkg-query -W -f='${Version}' libtorch1.13 2>/dev/null"),
        "blas": sh("update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep '^Value:' | cut -d' ' -f2"),
        "torch_blas": sh(f"{PYTHON} -c 'import torch; print(torch.__config__.show())' | grep -o 'BLAS_INFO=[a-z]*'"),
        "loadavg": open("/proc/loadavg").read().split()[:3],
        "commit": sh(f"git -C {shlex.quote(REPO)} rev-parse --short HEAD"),
        "dirty": bool(sh(f"git -C {shlex.quote(REPO)} status --porcelain -- src")),
    }


def config_label(config):
    return "defaults" if config == "default" else f"{config} thread{'s' if config != '1' else ''}"


def report(results, settings, facts, started, finished, argv):
    lines = []
    lines.append(f"### Run of {started:%Y-%m-%d %H:%M} UTC")
    lines.append("")
    words = [f"{k}={shlex.quote(v)}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_")]
    words += ["bash", "bench/run.sh"] + [shlex.quote(a) for a in argv]
    lines.append(f"- command: `{' '.join(words)}`")
    def built(path):
        return (datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
                .strftime("%Y-%m-%d %H:%M UTC") if os.path.exists(path) else "n/a")
    shim = os.path.join(os.path.dirname(settings["trainer"]), "libdashboard_native.so")
    lines.append(f"- code: commit {facts['commit'] or 'n/a'}{' with uncommitted changes in src/' if facts['dirty'] else ''}; "
                 f"trainer {os.path.relpath(settings['trainer'], REPO)} built {built(settings['trainer'])}, "
                 f"its libdashboard_native.so {built(shim)}")
    lines.append(f"- machine: {facts['nproc']} CPUs ({facts['cpu']}), {facts['memory']}, kernel {facts['kernel']}")
    lines.append(f"- versions: .NET {facts['dotnet']}; libtorch {facts['libtorch']} (ours) / torch {facts['torch']} "
                 f"(baseline); {facts['torch_blas']}, libblas.so.3 -> {facts['blas']}")
    lines.append(f"- sides: ours = `Dashboard.Training.dll train` (log_every 1: its step statistics read every step); "
                 f"PyTorch = a plain loop (`bench/pytorch_baseline.py --plain`: the loss read when it logs, every "
                 f"100 steps). defaults = no thread setting on either side (ours measures per model, with an empty "
                 f"cache; PyTorch takes libtorch's own count); N threads = `Training__Threads=N` / "
                 f"`torch.set_num_threads(N)`")
    lines.append(f"- load average before {' '.join(facts['loadavg'])}, "
                 f"after {' '.join(open('/proc/loadavg').read().split()[:3])}; "
                 f"duration {(finished - started).total_seconds() / 60:.1f} min")
    lines.append(f"- settings: " + ", ".join(f"{m}: {s['epochs']} epochs, "
                                             f"{s['size'] or 'all'} training samples" for m, s in settings["models"].items()))
    lines.append("")
    lines.append("| model | threads | ours samples/s | PyTorch samples/s | ours/PyTorch | threads used (ours / PyTorch) "
                 "| ours test acc | PyTorch test acc | ours wall | PyTorch wall |")
    lines.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|")
    goals = []
    for model, configs in results.items():
        for config, pair in configs.items():
            ours, base = pair.get("ours"), pair.get("pytorch")
            fo = (ours or {}).get("final") or {}
            fb = (base or {}).get("final") or {}
            so, sb = fo.get("samples_per_s"), fb.get("samples_per_s")
            ratio = f"{so / sb:.2f}" if so and sb else "n/a"
            if config == "default" and so and sb:
                goals.append(f"{model} {so / sb:.2f} ({'met' if so >= sb else 'NOT met'})")
            wall = lambda r: "n/a" if r is None else (f"{r['wall_s']:.1f} s" + ("" if r["rc"] == 0 else f" (exit {r['rc']})"))
            used = f"{num(fo.get('threads'), '.0f')} / {num(fb.get('threads'), '.0f')}"
            name = f"**{config_label(config)}**" if config == "default" else config_label(config)
            lines.append(f"| {model} | {name} | {num(so, ',.0f')} | {num(sb, ',.0f')} | {ratio} | {used} | "
                         f"{num(fo.get('val_accuracy'), '.4f')} | {num(fb.get('val_accuracy'), '.4f')} | {wall(ours)} | {wall(base)} |")
    lines.append("")
    if goals:
        lines.append(f"Goal, ours at its defaults at least 1.0x the plain loop at its defaults: {', '.join(goals)}.")
        lines.append("")
    lines.append("Time split (seconds): training steps / sum of epoch_time (steps + evaluation) / whole process.")
    lines.append("")
    for model, configs in results.items():
        for config, pair in configs.items():
            for side, r in pair.items():
                if r is None or not r["final"]:
                    continue
                f = r["final"]
                epoch_sum = sum(_epoch_times(r)) if _epoch_times(r) else None
                lines.append(f"- {model}, {config_label(config)}, {side}: {num(train_seconds(r), '.1f')} / "
                             f"{num(epoch_sum, '.1f')} / {r['wall_s']:.1f}; train_loss {num(f.get('train_loss'), '.4f')}, "
                             f"val_loss {num(f.get('val_loss'), '.4f')}, val_ap {num(f.get('val_ap'), '.4f')}, "
                             f"steps {f.get('steps')}" + (f"; {r['thread_line']}" if r.get("thread_line") else ""))
    lines.append("")
    lines.append("Resident memory (VmRSS sampled every 0.5 s, the last sample before the epoch line; anon = heaps "
                 "(data, tensors, runtime), file = mapped libraries; peak = VmHWM):")
    lines.append("")
    for model, configs in results.items():
        last = settings["models"][model]["epochs"]
        for config, pair in configs.items():
            for side, r in pair.items():
                if r is None:
                    continue
                at = r["rss_at_epoch"]
                early = min(2, last)
                parts = [f"end of epoch {early}: {rss_text(at.get(early))}"]
                if last != early:
                    parts.append(f"end of epoch {last}: {rss_text(at.get(last))}")
                    if at.get(early) and at.get(last):
                        parts.append(f"growth {(at[last][1] - at[early][1]) / 1024 / (last - early):+.1f} MiB/epoch")
                parts.append(f"peak {mb(r['peak_rss_kb'])}")
                lines.append(f"- {model}, {config_label(config)}, {side}: " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def _epoch_times(r):
    """Per-epoch epoch_time from our metrics.csv, else from the epoch lines (last field, 'N.NNs')."""
    csv_path = os.path.join(os.path.dirname(r["log_path"]), "metrics.csv") if r.get("log_path") else None
    out = []
    if csv_path and os.path.exists(csv_path):
        with open(csv_path) as f:
            for row in f:
                if row.startswith("epoch_time,"):
                    out.append(float(row.split(",")[3]))
        if out:
            return out
    with open(r["log_path"]) as f:
        for row in f:
            text = row[11:].rstrip()
            if EPOCH_LINE.match(text) and text.endswith("s"):
                out.append(float(text.rsplit(None, 1)[-1][:-1]))
    return out


def main():
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--record", action="store_true", help="append the report to bench/RESULTS.md")
    ap.add_argument("--models", default=os.environ.get("BENCH_MODELS", "mlp,cnn"))
    ap.add_argument("--sides", default=os.environ.get("BENCH_SIDES", "ours,pytorch"))
    ap.add_argument("--mlp-epochs", type=int, default=env_int("BENCH_MLP_EPOCHS", 2 if quick else 20))
    ap.add_argument("--cnn-epochs", type=int, default=env_int("BENCH_CNN_EPOCHS", 1 if quick else 3))
    ap.add_argument("--mlp-size", type=int, default=env_int("BENCH_MLP_SIZE", 10000 if quick else 0),
                    help="stratified training subset (dataset.size); 0: all 60000")
    ap.add_argument("--cnn-size", type=int, default=env_int("BENCH_CNN_SIZE", 2000 if quick else 0))
    ap.add_argument("--threads", default=os.environ.get("BENCH_THREADS", "default,1,2"),
                    help="thread settings to run, each on both sides: 'default' (each side's own choice) and counts")
    ap.add_argument("--trainer", default=os.environ.get("BENCH_TRAINER", DEFAULT_TRAINER))
    ap.add_argument("--out", default=None, help="output folder (default bench/out/<timestamp>)")
    args = ap.parse_args()

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    configs = [c.strip() for c in args.threads.split(",") if c.strip()]
    if not set(models) <= {"mlp", "cnn"} or not set(sides) <= {"ours", "pytorch"} or not models or not sides:
        ap.error("--models takes mlp,cnn and --sides ours,pytorch")
    if not configs or any(c != "default" and not (c.isdigit() and int(c) > 0) for c in configs):
        ap.error("--threads takes 'default' and positive counts, e.g. default,1,2")
    if "ours" in sides and not os.path.exists(args.trainer):
        ap.error(f"trainer not built: {args.trainer}")
    if args.record and quick:
        ap.error("--record with BENCH_QUICK=1 would record smoke-test figures; run the full benchmark to record")

    started = datetime.datetime.now(datetime.timezone.utc)
    out_root = os.path.abspath(args.out or os.path.join(BENCH, "out", started.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out_root, exist_ok=True)
    facts = machine_facts()
    settings = {"threads": configs, "quick": quick, "trainer": os.path.abspath(args.trainer), "models": {
        "mlp": {"epochs": args.mlp_epochs, "size": args.mlp_size or None},
        "cnn": {"epochs": args.cnn_epochs, "size": args.cnn_size or None}}}
    settings["models"] = {m: settings["models"][m] for m in models}
    log(f"benchmark{' (BENCH_QUICK: smoke-test settings, timings not representative)' if quick else ''}: "
        f"{facts['nproc']} CPUs, {facts['cpu']}; load average {' '.join(facts['loadavg'])}; output in {out_root}")
    if float(facts["loadavg"][0]) > 0.5:
        log(f"warning: the 1-minute load average is {facts['loadavg'][0]}: something else is running; "
            "timings will be noisy")

    results = {}
    for model in models:
        s = settings["models"][model]
        spec = write_spec(model, s["epochs"], s["size"], out_root)
        results[model] = {}
        for config in configs:
            results[model][config] = {}
            for side in sides:
                run_dir = os.path.join(out_root, f"{side}-{model}-{config}")
                os.makedirs(run_dir, exist_ok=True)
                env = {}
                if side == "ours":
                    command = ["dotnet", args.trainer, "train", spec, "--device", "cpu", "--out", run_dir]
                    # An empty cache of its own: the default run measures its threads as on a host that never ran it.
                    env = {"Training__Threads": "0" if config == "default" else config,
                           "Training__ThreadCache": os.path.join(run_dir, "threads.json")}
                else:
                    command = [PYTHON, os.path.join(BENCH, "pytorch_baseline.py"), spec, "--plain"]
                    if config != "default":
                        command += ["--threads", config]
                r = run_side(f"{side} {model} {config_label(config)}", command, run_dir, env)
                r["log_path"] = os.path.join(run_dir, "output.log")
                with open(r["log_path"]) as f:
                    r["thread_line"] = next((line[11:].strip() for line in f if line[11:].startswith("threads: ")), None)
                results[model][config][side] = r
    finished = datetime.datetime.now(datetime.timezone.utc)
    for side, r in results.get("cnn", {}).get(configs[0], {}).items():
        times = _epoch_times(r)
        if times and sum(times) / len(times) > 90:
            log(f"note: {side}'s CNN epochs took {sum(times) / len(times):.0f} s on average (over 90 s): on a machine "
                "this slow, consider BENCH_CNN_EPOCHS=2 (keep the full training set)")

    text = report(results, settings, facts, started, finished, sys.argv[1:])
    log("\n" + text)
    with open(os.path.join(out_root, "report.md"), "w") as f:
        f.write(text)
    if args.record:
        with open(os.path.join(BENCH, "RESULTS.md"), "a") as f:
            f.write("\n" + text)
        log("appended to bench/RESULTS.md")
    failed = [f"{m}/{c}/{s}" for m, configs_ in results.items() for c, pair in configs_.items() for s, r in pair.items()
              if r["rc"] != 0 or not r["final"]]
    if failed:
        log(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
