#!/usr/bin/env python3
"""PyTorch eager side of the GPU benchmark (bench/gpu/README.md): trains what one of our spec files describes, on
the same device, the way a PyTorch user would write it for a GPU.

  data       the whole set on the device once; each epoch a randperm drawn on the device and batches gathered
             there by index_select (what our DeviceDataset does). cifar10: the binary batches of dataset.folder,
             scaled to [0, 1], then per-channel mean/std of the training set. hyperspheres: the same construction
             as src/Training/Datasets/Hyperspheres.cs (a (d-1)-sphere per class in its own d-dim subspace of R^p
             around its own centre, Gaussian noise) from numpy's generator: the same distribution, not the same
             draws, so final losses agree to the noise of the draw, not to the digit.
  models     mlp, simple_cnn and resnet18 (CIFAR stem), laid out as ours (src/Training/Models).
  step       zero_grad(set_to_none), forward, mean cross-entropy, backward, optimizer step; the loss summed on the
             device and read once per epoch (no per-step synchronisation), as a careful GPU loop does.
  precision  spec "precision": fp32 (TF32 off), tf32 (matmul and cuDNN TF32 on), bf16 (torch.autocast bf16);
             "cudnn_benchmark" sets torch.backends.cudnn.benchmark.
  timing     samples/s = training samples / seconds of the training steps, synchronised at the epoch's end;
             evaluation excluded, as in ours.

Prints epoch lines and, last, one JSON line: samples_per_s, train_loss, val_loss, val_accuracy, epochs, steps,
peak_allocated_mb (torch.cuda.max_memory_allocated), device_name, torch_version, cuda_version.

usage: python3 bench/gpu/pytorch_gpu.py SPEC.json [--device cuda:0]
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def fail(message):
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def as_object(value):
    return {"name": value} if isinstance(value, str) else (value or {})


# ----------------------------------------------------------------------------------------------------------------
# Data

def hyperspheres(ds, seed):
    n, p, d = int(ds.get("n", 1000)), int(ds.get("p", 10)), int(ds.get("d", 2))
    classes, noise, val_fraction = int(ds.get("classes", 2)), float(ds.get("noise", 0.1)), float(ds.get("val_fraction", 0.2))
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, p)) * 1.5 / math.sqrt(p) * math.sqrt(2)
    bases = np.stack([np.linalg.qr(rng.standard_normal((p, d)))[0].T for _ in range(classes)])  # [classes, d, p]
    y = np.arange(n) % classes
    point = rng.standard_normal((n, d))
    point /= np.maximum(np.linalg.norm(point, axis=1, keepdims=True), 1e-300)
    x = centres[y] + noise * rng.standard_normal((n, p)) + np.einsum("nd,ndp->np", point, bases[y])
    order = rng.permutation(n)
    n_val = min(max(int(round(n * val_fraction)), 1), n - 1)
    val, train = order[:n_val], order[n_val:]
    return x[train].astype(np.float32), y[train], x[val].astype(np.float32), y[val], classes


def cifar10(folder):
    def read(names):
        raw = b"".join(open(os.path.join(folder, name), "rb").read() for name in names)
        records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
        return (records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / np.float32(255.0)), records[:, 0].astype(np.int64)
    if not os.path.exists(os.path.join(folder, "test_batch.bin")) and os.path.isdir(os.path.join(folder, "cifar-10-batches-bin")):
        folder = os.path.join(folder, "cifar-10-batches-bin")
    x, y = read([f"data_batch_{i}.bin" for i in range(1, 6)])
    xv, yv = read(["test_batch.bin"])
    return x, y, xv, yv, 10


def normalise(x, xv):
    axes = (0, 2, 3) if x.ndim == 4 else None
    mean = x.astype(np.float64).mean(axis=axes, keepdims=axes is not None)
    std = x.astype(np.float64).std(axis=axes, keepdims=axes is not None)
    std = np.where(std > 0, std, 1.0)
    return ((x - mean) / std).astype(np.float32), ((xv - mean) / std).astype(np.float32)


def subset(x, y, size, seed):
    if not size or size >= len(y):
        return x, y
    keep = np.sort(np.random.default_rng(seed + 1).permutation(len(y))[:size])
    return x[keep], y[keep]


# ----------------------------------------------------------------------------------------------------------------
# Models, as src/Training/Models builds them

ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "elu": nn.ELU,
        "leaky_relu": nn.LeakyReLU, "identity": nn.Identity, "relu6": nn.ReLU6}


def mlp(spec, in_features, classes):
    sizes = spec.get("layer_size") or [64]
    acts = spec.get("act_funcs") or ["relu"] * len(sizes)
    layers, prev = [nn.Flatten()], in_features
    for size, act in zip(sizes, acts + [acts[-1]] * (len(sizes) - len(acts))):
        layers += [nn.Linear(prev, size), ACTS[act]()]
        prev = size
    layers.append(nn.Linear(prev, classes))
    return nn.Sequential(*layers)


def simple_cnn(channels, classes, side):
    s = (side - 3) // 2 + 1
    s = (s - 3) // 2 + 1
    s = s - 1
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, stride=2), nn.ReLU(), nn.Conv2d(32, 32, 3, stride=2), nn.ReLU(),
        nn.MaxPool2d(2, stride=1), nn.Conv2d(32, 16, 1), nn.ReLU(), nn.Flatten(),
        nn.Linear(16 * s * s, 512), nn.ReLU(), nn.Linear(512, classes))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def resnet18_cifar(channels, classes):
    layers, cin = [nn.Conv2d(channels, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()], 64
    for stage, cout in enumerate([64, 128, 256, 512]):
        for b in range(2):
            layers.append(BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes)]
    return nn.Sequential(*layers)


def optimizer_for(o, params):
    name = o.get("name", "sgd")
    lr = o.get("lr", 0.01)
    wd = o["regularization"] if o.get("regularization") is not None else o.get("weight_decay", 0.0)
    if name in ("sgd", "sgd_momentum_wdecay"):
        momentum = o["momentum"] if o.get("momentum") is not None else (0.9 if name == "sgd_momentum_wdecay" else 0.0)
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return cls(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("eps", 1e-8), weight_decay=wd)
    fail(f"unknown optimizer '{name}'")


# ----------------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec")
    ap.add_argument("--device", default="cuda:0")
    args = ap.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    ds, model_spec, opt_spec = as_object(spec.get("dataset")), as_object(spec.get("model")), as_object(spec.get("optimizer"))
    seed = int(spec.get("seed", 0))
    batch, epochs = int(spec.get("batch_size", 128)), int(spec.get("max_epochs", 1))
    precision = spec.get("precision", "fp32")
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.allow_tf32 = precision == "tf32"
        torch.backends.cudnn.benchmark = bool(spec.get("cudnn_benchmark", False))

    t_load = time.perf_counter()
    if ds.get("name") == "hyperspheres":
        x, y, xv, yv, classes = hyperspheres(ds, seed)
    elif ds.get("name") == "cifar10":
        x, y, xv, yv, classes = cifar10(ds.get("folder") or "data/cifar10")
    else:
        fail(f"the GPU baseline knows hyperspheres and cifar10, not '{ds.get('name')}'")
    x, y = subset(x, y, ds.get("size"), seed)
    if ds.get("normalize", True):
        x, xv = normalise(x, xv)
    x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    xv, yv = torch.from_numpy(xv).to(device), torch.from_numpy(yv).to(device)
    load_seconds = time.perf_counter() - t_load

    torch.manual_seed(seed)
    name = model_spec.get("name", "mlp")
    if name == "mlp":
        model = mlp(model_spec, int(np.prod(x.shape[1:])), classes)
    elif name == "simple_cnn":
        model = simple_cnn(x.shape[1], classes, x.shape[2])
    elif name == "resnet18":
        model = resnet18_cifar(x.shape[1], classes)
    else:
        fail(f"the GPU baseline knows mlp, simple_cnn and resnet18, not '{name}'")
    model = model.to(device)
    optimizer = optimizer_for(opt_spec, model.parameters())
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    n = x.shape[0]
    print(f"{n} training and {xv.shape[0]} validation samples; training {name} on {device} "
          f"({torch.cuda.get_device_name(device) if cuda else 'cpu'}, PyTorch {torch.__version__}, {precision})", flush=True)

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    steps, train_seconds, final = 0, 0.0, {}
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = torch.zeros((), device=device)
        sync()
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=device, generator=generator)
        epoch_steps = 0
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach().float()
            epoch_steps += 1
        sync()
        train_seconds += time.perf_counter() - t0
        steps += epoch_steps
        train_loss = float(loss_sum) / epoch_steps
        model.eval()
        val_sum, hits = torch.zeros((), device=device, dtype=torch.float64), torch.zeros((), device=device, dtype=torch.int64)
        with torch.no_grad(), autocast:
            for start in range(0, xv.shape[0], 500):
                logits = model(xv[start:start + 500]).float()
                val_sum += F.cross_entropy(logits, yv[start:start + 500], reduction="sum").double()
                hits += (logits.argmax(1) == yv[start:start + 500]).sum()
        final = {"train_loss": train_loss, "val_loss": float(val_sum) / xv.shape[0],
                 "val_accuracy": int(hits) / xv.shape[0], "epochs": epoch,
                 "samples_per_s": n * epoch / max(train_seconds, 1e-9)}
        print(f"epoch {epoch}/{epochs} ({100 * epoch // epochs}%)  loss {train_loss:.4f}  val_loss {final['val_loss']:.4f}  "
              f"val_accuracy {final['val_accuracy']:.4f}", flush=True)
        if not math.isfinite(train_loss):
            final["status"] = "diverged"
            break

    final.update({"status": final.get("status", "completed"), "steps": steps, "train_seconds": train_seconds,
                  "load_seconds": load_seconds, "precision": precision, "torch_version": torch.__version__,
                  "cuda_version": torch.version.cuda, "device_name": torch.cuda.get_device_name(device) if cuda else "cpu",
                  "peak_allocated_mb": torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None,
                  "params": sum(p.numel() for p in model.parameters())})
    print(json.dumps(final), flush=True)
    return 0 if final["status"] == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
