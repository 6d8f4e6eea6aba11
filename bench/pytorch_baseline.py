#!/usr/bin/python3
"""Plain-PyTorch baseline for the training benchmark (bench/README.md).

Reads the same Dashboard spec JSON that our trainer reads and trains the same thing in an ordinary PyTorch loop,
mirroring src/Training exactly where it matters for speed and for the numbers:

  data       Fashion-MNIST IDX (gz), pixels / 255 as float32, then ONE mean and population std over every training
             pixel (summed in float64), applied to train and test (DatasetLoader, Normalisation, IdxFiles). The whole
             set lives in memory as one float32 tensor [N, 1, 28, 28]; the test split is the validation set.
  subset     dataset.size: the class-stratified subset of Subsets.Stratified, the same samples (its seeded
             System.Random is reproduced), drawn before normalising, as ours.
  models     mlp (flatten, Linear + act per hidden layer, Linear classifier) and cnn (conv3x3 pad 1 [no bias with
             batch norm] + BatchNorm2d + act per block, maxpool 2x2 after each stage, flatten, Linear), built in the
             same module order after torch.manual_seed(seed), so the default (Kaiming-uniform) init is drawn alike.
  epoch      torch.manual_seed(Mix(seed, epoch)); a fresh randperm from a CPU generator seeded with
             seed * 1000003 + epoch (Trainer.cs, dataset.cpp); consecutive batches of it, the last one smaller;
             batch = x.index_select(0, idx); zero_grad, forward, mean cross-entropy, backward, optimizer step.
  per step   --plain (what bench/run.sh runs): as a plain loop is written, loss.item() only when it logs (every
             100 steps and at the end of an epoch), train_loss the mean of those reads, no training accuracy, and
             PyTorch's own thread count unless --threads is given. Without --plain (the mirror of ours, kept for
             checking the numbers): loss.item() and (argmax == y).sum().item() every step, and --threads defaulting
             to the CPUs available.
  timing     samples/s = training samples / seconds spent inside the training steps (batch gather, forward,
             backward, step and the two .item() reads); evaluation is excluded, as in ours.
  evaluation after every epoch, model.eval(), no_grad, batches of 500: val_loss, val_accuracy and macro average
             precision (one-vs-rest, non-interpolated, tied scores entering together, as AveragePrecision.cs).

Prints epoch lines in our trainer's format and, last, one JSON line with the same keys as ours (plus a few extras:
train_seconds, eval_seconds, load_seconds, threads, torch_version).

usage: /usr/bin/python3 bench/pytorch_baseline.py SPEC.json [--plain] [--threads N] [--data-dir DIR] [--epochs N]
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MASK64 = (1 << 64) - 1
DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
PLAIN_LOG_EVERY = 100  # --plain: how often a plain loop reads the loss to log it
EVAL_BATCH = 500  # Trainer.cs: evalOnImages ? 500 : ...; Fashion-MNIST is always images, also for the MLP


def fail(message):
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


# ----------------------------------------------------------------------------------------------------------------
# Data

def read_idx(folder, name, dims):
    for candidate in (name + ".gz", name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            break
    else:
        fail(f"{os.path.join(folder, name)}[.gz] not found")
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0:3] != b"\x00\x00\x08" or raw[3] != dims:
        fail(f"{path}: not an IDX file of unsigned bytes with {dims} dimensions")
    shape = struct.unpack(">" + "i" * dims, raw[4:4 + 4 * dims])
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        fail(f"{path}: holds {body.size} values, the header says {shape}")
    return body.reshape(shape)


def load_split(folder, prefix):
    images = read_idx(folder, f"{prefix}-images-idx3-ubyte", 3)
    labels = read_idx(folder, f"{prefix}-labels-idx1-ubyte", 1)
    if images.shape[0] != labels.shape[0]:
        fail(f"{prefix}: {images.shape[0]} images but {labels.shape[0]} labels")
    # float32 / float32 as IdxFiles.cs does (bytes[i] / 255f), so the values are the same floats.
    x = images.astype(np.float32) / np.float32(255.0)
    return x.reshape(images.shape[0], 1, images.shape[1], images.shape[2]), labels.astype(np.int64)


class DotNetRandom:
    """System.Random(int seed) as .NET gives it for an explicit seed (the subtractive generator kept for
    compatibility), so that dataset.size picks the very samples Subsets.Stratified picks."""

    MBIG = 2**31 - 1
    MSEED = 161803398

    def __init__(self, seed):
        a = [0] * 56
        subtraction = self.MBIG if seed == -2**31 else abs(seed)
        mj = self._int32(self.MSEED - subtraction)
        a[55] = mj
        mk, ii = 1, 0
        for _ in range(1, 55):
            ii = (ii + 21) % 55
            a[ii] = mk
            mk = self._int32(mj - mk)
            if mk < 0:
                mk += self.MBIG
            mj = a[ii]
        for _ in range(4):
            for i in range(1, 56):
                n = i + 30
                if n >= 55:
                    n -= 55
                a[i] = self._int32(a[i] - a[1 + n])
                if a[i] < 0:
                    a[i] += self.MBIG
        self.a, self.inext, self.inextp = a, 0, 21

    @staticmethod
    def _int32(v):
        """C#'s unchecked int arithmetic: the seeding can leave values whose differences overflow."""
        v &= 0xFFFFFFFF
        return v - (1 << 32) if v >= 1 << 31 else v

    def _sample(self):
        self.inext = 1 if self.inext + 1 >= 56 else self.inext + 1
        self.inextp = 1 if self.inextp + 1 >= 56 else self.inextp + 1
        value = self._int32(self.a[self.inext] - self.a[self.inextp])
        if value == self.MBIG:
            value -= 1
        if value < 0:
            value += self.MBIG
        self.a[self.inext] = value
        return value * (1.0 / self.MBIG)

    def next(self, low, high):
        """Next(minValue, maxValue) for ranges below 2^31, the only ones a subset of one class needs."""
        return int(self._sample() * (high - low)) + low


def subset_seed(seed):
    """Subsets.Mix: SplitMix64's finaliser, then the low 32 bits as a signed int."""
    z = (seed + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z = (z ^ (z >> 31)) & 0xFFFFFFFF
    return z - (1 << 32) if z >= 1 << 31 else z


def stratified_subset(x, y, size, classes, seed):
    """Subsets.Stratified: largest-remainder quotas per class (ties to the lower class), a partial Fisher-Yates
    inside each class in class order from one seeded generator, the chosen samples in their original order."""
    n = y.shape[0]
    if size >= n:
        return x, y
    if size < classes:
        fail(f"a stratified subset of {size} samples cannot hold {classes} classes")
    counts = [int(c) for c in np.bincount(y, minlength=classes)]
    quota = [size * c // n for c in counts]
    remainder = [size * c % n for c in counts]
    order = sorted(range(classes), key=lambda c: (-remainder[c], c))
    for k in range(size - sum(quota)):
        quota[order[k]] += 1
    rng = DotNetRandom(subset_seed(seed))
    chosen = np.zeros(n, dtype=bool)
    for c in range(classes):
        members = [int(i) for i in np.nonzero(y == c)[0]]
        for k in range(quota[c]):
            j = rng.next(k, len(members))
            members[k], members[j] = members[j], members[k]
            chosen[members[k]] = True
    return x[chosen], y[chosen]


def normalise(train, test):
    """One mean and population std over all training values (float64 sums), x = (x - mean) * (1 / std), in place."""
    count = train.size
    flat = train.reshape(train.shape[0], -1)
    chunk = 8192
    total = 0.0
    for i in range(0, flat.shape[0], chunk):
        total += flat[i:i + chunk].astype(np.float64).sum()
    mean = total / count
    squares = 0.0
    for i in range(0, flat.shape[0], chunk):
        d = flat[i:i + chunk].astype(np.float64) - mean
        squares += (d * d).sum()
    std = math.sqrt(squares / count)
    scale = 1.0 if std == 0 else 1.0 / std
    for data in (train, test):
        view = data.reshape(data.shape[0], -1)
        for i in range(0, view.shape[0], chunk):
            view[i:i + chunk] = ((view[i:i + chunk].astype(np.float64) - mean) * scale).astype(np.float32)
    return mean, std


# ----------------------------------------------------------------------------------------------------------------
# Models

ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU, "elu": nn.ELU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01), "identity": nn.Identity, "relu6": nn.ReLU6,
}


def build_model(m, input_shape, classes):
    """Returns (module, training FLOPs per sample as ModelGraph counts them: 3 x forward)."""
    name = m.get("name", "mlp")
    flops = 0
    layers = []
    c, h, w = input_shape
    if name == "mlp":
        sizes = m.get("layer_size", [256, 128, 100])
        acts = m.get("act_funcs") or ["relu"] * len(sizes)
        unsupported = [k for k in ("batch_norm", "dropout", "skip_steps", "output_dim") if m.get(k)]
        if unsupported or len(acts) != len(sizes):
            fail(f"the baseline builds plain MLPs only (no {', '.join(unsupported) or 'mismatched act_funcs'})")
        layers.append(nn.Flatten())
        features = c * h * w
        for size, act in zip(sizes, acts):
            layers += [nn.Linear(features, size), ACTIVATIONS[act]()]
            flops += 2 * features * size + size + (0 if act == "identity" else size)
            features = size
        layers.append(nn.Linear(features, classes))
        flops += 2 * features * classes + classes
    elif name == "cnn":
        width, depth, stages = m.get("width", 32), m.get("depth", 1), m.get("stages", 2)
        bn = m.get("batch_norm")
        bn = True if bn is None else bn
        acts = m.get("act_funcs") or ["relu"]
        act = acts[0]
        channels = width
        for _ in range(stages):
            for _ in range(depth):
                layers.append(nn.Conv2d(c, channels, 3, padding=1, bias=not bn))
                flops += 2 * c * 9 * channels * h * w + (0 if bn else channels * h * w)
                c = channels
                if bn:
                    layers.append(nn.BatchNorm2d(c))
                    flops += 4 * c * h * w
                layers.append(ACTIVATIONS[act]())
                flops += 0 if act == "identity" else c * h * w
            if h >= 2 and w >= 2:
                layers.append(nn.MaxPool2d(2, 2))
                h, w = (h - 2) // 2 + 1, (w - 2) // 2 + 1
                flops += c * h * w * 4
            channels *= 2
        layers.append(nn.Flatten())
        layers.append(nn.Linear(c * h * w, classes))
        flops += 2 * c * h * w * classes + classes
    else:
        fail(f"the baseline knows the models mlp and cnn, not '{name}'")
    return nn.Sequential(*layers), 3 * flops


def build_optimizer(o, params):
    name = o.get("name", "sgd")
    if o.get("groups"):
        fail("optimizer groups are not supported by the baseline")
    lr = o.get("lr", 0.01)
    wd = o["regularization"] if o.get("regularization") is not None else o.get("weight_decay", 0.0)
    if name in ("sgd", "sgd_momentum_wdecay"):
        momentum = o["momentum"] if o.get("momentum") is not None else (0.9 if name == "sgd_momentum_wdecay" else 0.0)
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    betas = (o.get("beta1", 0.9), o.get("beta2", 0.999))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=o.get("eps", 1e-8), weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=o.get("eps", 1e-8), weight_decay=wd)
    fail(f"unknown optimizer '{name}'")


# ----------------------------------------------------------------------------------------------------------------
# Metrics

def macro_average_precision(scores, labels, classes):
    """Mean over classes with a positive of the non-interpolated AP; tied scores form one threshold."""
    aps = []
    for c in range(classes):
        positive = labels == c
        total = int(positive.sum())
        if total == 0:
            continue
        s = scores[:, c]
        order = np.argsort(-s, kind="stable")
        s_sorted, pos_sorted = s[order], positive[order]
        # Last index of every run of equal scores: each threshold takes its whole run at once.
        ends = np.nonzero(np.append(s_sorted[1:] != s_sorted[:-1], True))[0]
        tp = np.cumsum(pos_sorted)[ends]
        precision = tp / (ends + 1)
        recall = tp / total
        aps.append(float(np.sum(np.diff(recall, prepend=0.0) * precision)))
    return sum(aps) / len(aps) if aps else float("nan")


def evaluate(model, x, y, classes):
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64)
    hits = 0
    probs = []
    with torch.no_grad():
        for start in range(0, x.shape[0], EVAL_BATCH):
            xb, yb = x[start:start + EVAL_BATCH], y[start:start + EVAL_BATCH]
            logits = model(xb)
            loss_sum += F.cross_entropy(logits, yb, reduction="sum").double()
            hits += int((logits.argmax(1) == yb).sum())
            probs.append(torch.softmax(logits, 1))
    scores = torch.cat(probs).numpy()
    n = x.shape[0]
    return float(loss_sum) / n, hits / n, macro_average_precision(scores, y.numpy(), classes)


def mix(seed, epoch):
    """Trainer.Mix: the per-epoch seed of the default generator (dropout/augmentation draws)."""
    return ((seed + 0x9E3779B97F4A7C15 * (epoch + 1)) & MASK64) ^ (seed >> 29)


# ----------------------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec")
    ap.add_argument("--plain", action="store_true",
                    help="a plain loop: PyTorch's own thread count, the loss read only when logged (every 100 steps)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads (default: PyTorch's own with --plain, else the CPUs available)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--epochs", type=int, default=None, help="overrides max_epochs")
    args = ap.parse_args()

    with open(args.spec) as f:
        spec = json.load(f)
    ds = spec.get("dataset") or {}
    if isinstance(ds, str):
        ds = {"name": ds}
    model_spec = spec.get("model") or {}
    if isinstance(model_spec, str):
        model_spec = {"name": model_spec}
    opt_spec = spec.get("optimizer") or {}
    if isinstance(opt_spec, str):
        opt_spec = {"name": opt_spec}
    for key in ("lr_schedule", "batch_schedule"):
        sched = spec.get(key)
        name = sched if isinstance(sched, str) else (sched or {}).get("name", "constant")
        if name != "constant":
            fail(f"{key} '{name}' is not supported by the baseline")
    if ds.get("name") not in ("fashion_mnist", "mnist"):
        fail("the baseline loads IDX data sets (fashion_mnist, mnist) only")
    if ds.get("crop_padding") or ds.get("flip"):
        fail("augmentation is not supported by the baseline")
    if spec.get("device", "cpu") != "cpu":
        fail("the baseline runs on the CPU only")

    if args.threads is not None or not args.plain:
        torch.set_num_threads(args.threads or len(os.sched_getaffinity(0)))
    seed = int(spec.get("seed", 0)) & MASK64
    batch = int(spec.get("batch_size", 128))
    epochs = args.epochs or int(spec.get("max_epochs", 20))
    classes = 10

    print(f"loading {ds['name']}...", flush=True)
    t_load = time.perf_counter()
    folder = args.data_dir or ds.get("folder") or DEFAULT_DATA_DIR
    x_train, y_train = load_split(folder, "train")
    x_test, y_test = load_split(folder, "t10k")
    if ds.get("size"):
        x_train, y_train = stratified_subset(x_train, y_train, int(ds["size"]), classes, seed)
    x_train = np.ascontiguousarray(x_train)
    if ds.get("normalize", True):
        normalise(x_train, x_test)
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    load_seconds = time.perf_counter() - t_load
    n = x_train.shape[0]

    torch.manual_seed(seed)  # NativeModel.Create: torch::manual_seed(seed), then the modules in graph order
    model, flops_per_sample = build_model(model_spec, tuple(x_train.shape[1:]), classes)
    optimizer = build_optimizer(opt_spec, model.parameters())
    params = sum(p.numel() for p in model.parameters())
    print(f"{n} training and {x_test.shape[0]} validation samples; training {model_spec.get('name', 'mlp')} on cpu "
          f"(PyTorch {torch.__version__}, {torch.get_num_threads()} threads)", flush=True)

    final = {"params": params, "flops_per_sample": flops_per_sample}
    steps = samples = 0
    train_seconds = eval_seconds = 0.0
    status = "completed"
    since_line = time.perf_counter()
    run_start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        torch.manual_seed(mix(seed, epoch))
        g = torch.Generator()
        g.manual_seed((seed * 1000003 + epoch) & MASK64)
        perm = torch.randperm(n, generator=g)
        model.train()
        loss_sum, correct, epoch_steps, epoch_samples = 0.0, 0, 0, 0
        for start in range(0, n, batch):
            t0 = time.perf_counter()
            idx = perm[start:start + batch]
            xb = x_train.index_select(0, idx)
            yb = y_train.index_select(0, idx)
            optimizer.zero_grad()
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            count = yb.shape[0]
            steps += 1
            logged = not args.plain or steps % PLAIN_LOG_EVERY == 0 or start + batch >= n
            if logged:
                loss_value = loss.item()
                if not args.plain:
                    correct += (logits.argmax(1) == yb).sum().item()
            train_seconds += time.perf_counter() - t0
            samples += count
            epoch_samples += count
            if not logged:
                continue
            epoch_steps += 1
            loss_sum += loss_value
            if not math.isfinite(loss_value):
                status = "diverged"
                print(f"diverged: the loss was not finite at step {steps}", flush=True)
                break
            if time.perf_counter() - since_line >= 10:
                print(f"  step {steps}  loss {loss_value:.4f}  lr {optimizer.param_groups[0]['lr']:.4g}  "
                      f"batch {count}  {time.perf_counter() - run_start:.0f}s", flush=True)
                since_line = time.perf_counter()
        if status != "completed":
            break
        t_eval = time.perf_counter()
        val_loss, val_accuracy, val_ap = evaluate(model, x_test, y_test, classes)
        eval_seconds += time.perf_counter() - t_eval
        epoch_time = time.perf_counter() - epoch_start
        final.update({
            "train_loss": loss_sum / epoch_steps, "train_accuracy": None if args.plain else correct / epoch_samples,
            "val_loss": val_loss, "val_accuracy": val_accuracy, "val_ap": val_ap,
            "epoch_time": epoch_time, "epoch": epoch, "epochs": epoch,
            "samples_per_s": samples / max(train_seconds, 1e-9),
        })
        print(f"epoch {epoch}/{epochs} ({100 * epoch // epochs}%)  loss {final['train_loss']:.4f}  "
              f"val_loss {val_loss:.4f}  val_accuracy {val_accuracy:.4f}  val_ap {val_ap:.4f}  {epoch_time:.2f}s",
              flush=True)
        since_line = time.perf_counter()

    final.update({"status": status, "steps": steps, "train_seconds": train_seconds, "eval_seconds": eval_seconds,
                  "load_seconds": load_seconds, "threads": torch.get_num_threads(), "torch_version": torch.__version__,
                  "loop": "plain" if args.plain else "mirror"})
    print(json.dumps(final), flush=True)
    return 0 if status == "completed" else 1


if __name__ == "__main__":
    sys.exit(main())
