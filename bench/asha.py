"""The same 81-run sweep of a scaling-law grid on Fashion-MNIST, trained to the end and with ASHA, through a running
dashboard's API: what each cost (CPU-hours, epochs) and the best val_loss each found.

    python3 bench/asha.py URL [--quick]

The grid is notebook 002's (width x depth x dataset size x seeds) with an MLP in place of its CNN: 81 CNN runs of
the notes' sizes take days on the 2-core machines we benchmark on. Both sweeps run on the same dashboard, one after
the other, so that they share its workers and their settings.
"""
import json
import sys
import time
import urllib.request

URL = sys.argv[1].rstrip("/")
QUICK = "--quick" in sys.argv

WIDTHS = [32, 128, 512]
DEPTHS = [1, 2, 3]
SIZES = [6250, 12500, 25000]
SEEDS = [0, 1, 2]
EPOCHS = 9
if QUICK:  # a dry run of the script: 8 small runs of 3 epochs
    WIDTHS, DEPTHS, SIZES, SEEDS, EPOCHS = [16, 64], [1], [1000, 2000], [0, 1], 3


def spec(name, early_stop):
    layers = [[w] * d for w in WIDTHS for d in DEPTHS]
    # Shuffled (the same order in both sweeps): in the grid's own order the smallest models would reach each rung
    # first, every later run would beat them, and ASHA would stop nothing.
    sweep = {"method": "grid", "shuffle": True, "seed": 1,
             "parameters": {"model.layer_size": layers, "dataset.size": SIZES, "seed": SEEDS}}
    if early_stop:
        # Rungs at 1, 3 and 9 epochs: a run goes on past a rung only in the top third of those that reached it.
        sweep["early_stop"] = {"type": "asha", "metric": "val_loss", "mode": "min", "min_epochs": 1,
                               "reduction_factor": 3, "max_epochs": EPOCHS}
    return {"name": name, "dataset": {"name": "fashion_mnist"}, "model": {"name": "mlp", "layer_size": [32]},
            "optimizer": {"name": "adam", "lr": 0.001}, "batch_size": 512, "max_epochs": EPOCHS, "sweep": sweep}


def call(path, body=None):
    request = urllib.request.Request(URL + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def run_sweep(name, early_stop):
    started = time.time()
    experiment = call("/api/experiments", spec(name, early_stop))["experiment_id"]
    while True:
        state = call(f"/api/experiments/{experiment}")
        print(f"  {name}: {state['done']}/{state['runs']} runs ended ({100 * state['done'] // state['runs']}%), "
              f"{time.time() - started:,.0f} s", flush=True)
        if state["done"] == state["runs"]:
            break
        time.sleep(15)
    wall = time.time() - started
    runs = [call(f"/api/runs/{i}") for i in state["run_ids"]]
    bad = [r for r in runs if r["status"] not in ("completed", "stopped")]
    if bad:
        sys.exit(f"{name}: runs that did not train: " + ", ".join(f"{r['name']} {r['status']} {r['error']}" for r in bad))
    # Training time is each run's own clock (the `elapsed` metric, seconds of training and validation); a run trains
    # on one thread here, so its seconds are CPU-seconds.
    seconds = sum(r["metrics"]["elapsed"]["last"] for r in runs)
    best = min(runs, key=lambda r: r["metrics"]["val_loss"]["min"])
    return {
        "experiment": experiment, "runs": len(runs), "stopped": sum(r["status"] == "stopped" for r in runs),
        "epochs": sum(r["epoch"] for r in runs), "cpu_hours": seconds / 3600, "wall_seconds": wall,
        "best_val_loss": best["metrics"]["val_loss"]["min"], "best_run": best["name"], "best_params": best["params"],
    }


full = run_sweep("asha-bench-full", early_stop=False)
asha = run_sweep("asha-bench-asha", early_stop=True)
print(json.dumps({"full": full, "asha": asha}))
