#!/usr/bin/python3
"""Reference values for ScheduleTests.cs, from the real torch.optim.lr_scheduler classes.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tests/Training.Tests/Reference/schedules_reference.py
It prints C# array literals; paste them into ScheduleTests.cs.  Every lr is the one in force during
epoch e (0-based): the value after construction for e = 0, then after e calls of scheduler.step(),
which is how a training loop that steps once per epoch uses these schedulers.
"""
import math
import warnings

import torch
from torch.optim import SGD
from torch.optim.lr_scheduler import (CosineAnnealingLR, CosineAnnealingWarmRestarts, ExponentialLR,
                                      LinearLR, SequentialLR, StepLR)

warnings.filterwarnings("ignore")  # step(epoch) is deprecated for most schedulers; the values are what we want
BASE = 0.1


def optimizer():
    return SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE)


def per_epoch(make, epochs):
    """lr during each epoch 0..epochs-1, stepping once per epoch as PyTorch documents."""
    opt = optimizer()
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def fractional(make, epochs, iters):
    """CosineAnnealingWarmRestarts' own per-batch use: scheduler.step(epoch + i / iters) before batch i."""
    opt = optimizer()
    sched = make(opt)
    lrs = []
    for epoch in range(epochs):
        for i in range(iters):
            sched.step(epoch + i / iters)
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
    return lrs


def emit(name, values):
    body = ", ".join(repr(float(v)) for v in values)
    print(f"    private static readonly double[] {name} = [{body}];")


def emit_int(name, values):
    print(f"    private static readonly int[] {name} = [{', '.join(str(v) for v in values)}];")


print(f"    // torch {torch.__version__}, base lr {BASE}")
emit("Step3Half", per_epoch(lambda o: StepLR(o, step_size=3, gamma=0.5), 12))

# StepLR(50, 0.1) over 120 epochs, sampled around the drops.
step50 = per_epoch(lambda o: StepLR(o, step_size=50, gamma=0.1), 120)
samples = [0, 1, 48, 49, 50, 51, 99, 100, 101, 119]
emit_int("Step50Epochs", samples)
emit("Step50", [step50[e] for e in samples])

emit("Exp09", per_epoch(lambda o: ExponentialLR(o, gamma=0.9), 20))

# Beyond T_max PyTorch's recursive form keeps following the cosine: the lr climbs back to base at 2*T_max.
emit("Cos10", per_epoch(lambda o: CosineAnnealingLR(o, T_max=10, eta_min=0.001), 25))

emit("Warm5", per_epoch(lambda o: CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1, eta_min=0), 20))
emit("Warm3x2", per_epoch(lambda o: CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), 30))
emit("Warm3x2Frac", fractional(lambda o: CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), 10, 4))
emit("Warm5Frac", fractional(lambda o: CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1, eta_min=0), 10, 4))


# LinearLR(start_factor=0.01, total_iters=3) for 3 epochs, then CosineAnnealingLR(T_max=12 - 3), as SequentialLR.
# At integer epochs this is our warm-up: e < 3 gives base * (0.01 + 0.99 * e / 3); from e = 3 on the cosine
# at e - 3 (SequentialLR calls the second scheduler's step(0) at the milestone, which restarts it at base).
def warmup_cosine(o):
    warm = LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=3)
    cos = CosineAnnealingLR(o, T_max=9, eta_min=0.0)
    return SequentialLR(o, [warm, cos], milestones=[3])


emit("WarmupCos", per_epoch(warmup_cosine, 12))


# PyTorch's step(epoch) finds the restart from int(log(...)) in floating point; at some exact restarts the
# log rounds down and the lr is eta_min where step() (and the maths) give base.  Shown here, not pasted.
def restarts_bug():
    opt = optimizer()
    s = CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3, eta_min=0)
    s.step(121)  # 1 + 3 + 9 + 27 + 81 = 121: a restart
    by_epoch_arg = opt.param_groups[0]["lr"]
    stepped = per_epoch(lambda o: CosineAnnealingWarmRestarts(o, T_0=1, T_mult=3, eta_min=0), 122)[121]
    return by_epoch_arg, math.log(121 / 1 * (3 - 1) + 1, 3), stepped


print("    // CosineAnnealingWarmRestarts(T_0=1, T_mult=3): step(121) -> lr %r (the log gives %r);"
      " 121 calls of step() -> lr %r" % restarts_bug())

# Batch schedule: 128 x 1.037 per epoch, capped at 4526, floor as in the notes.
raw = [int(128 * 1.037 ** e) for e in range(130)]
capped = [min(4526, b) for b in raw]
first_cap = next(e for e, b in enumerate(raw) if b >= 4526)
print(f"    private const int BatchCapFirstEpoch = {first_cap};")
emit_int("Batch128", capped[:first_cap + 2])
