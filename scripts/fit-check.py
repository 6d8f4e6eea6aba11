#!/usr/bin/python3
"""An independent fit of the scaling page's CSV export, to check the page's exponents.

    /usr/bin/python3 scripts/fit-check.py scaling.csv     (Debian's python3 with python3-numpy)

The CSV is /api/analysis/scaling.csv?experiment=ID&x=N&law=offset (the page's "CSV" link): one row per run with its
x and its value. This fits, with numpy alone, the two laws the page fits, by least squares on log L as the page does:

    power:  L = A * x^(-a)        (a straight line in log-log: solved exactly)
    offset: L = A * x^(-a) + E    (0 <= E < the lowest L: E profiled on a fine grid, then Levenberg-Marquardt
                                   with an analytic Jacobian over all three)

and prints A, a, E and the rms residual of log L for each. Where the runs vary in both N and D (the CSV's n and d
columns, at least 6 distinct pairs), also the joint law L = A*N^(-a) + B*D^(-b) + E and its compute-optimal exponents
N_opt ~ C^(b/(a+b)), D_opt ~ C^(a/(a+b)). Last, how far the page's own fitted values (the CSV's `fitted` column)
are from each law fitted here (the one the page fitted is the one that matches). The page fits with MathNet (numerical derivatives, its own starting
points); agreement to a few parts in a thousand in the exponent says both found the same least-squares optimum.
The page's intervals (bootstrap over seeds) are not redone here.
"""
import argparse
import csv
import sys

import numpy as np


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{path}: no runs")
    for column in ("x", "value"):
        if column not in rows[0]:
            sys.exit(f"{path}: no column '{column}' (expected the scaling page's CSV: run_id,run,x,n,d,seed,value,fitted,residual_log)")
    x = np.array([float(r["x"]) for r in rows])
    y = np.array([float(r["value"]) for r in rows])
    fitted = np.array([float(r["fitted"]) if r.get("fitted") else np.nan for r in rows])
    n = np.array([float(r["n"]) if r.get("n") else np.nan for r in rows])
    d = np.array([float(r["d"]) if r.get("d") else np.nan for r in rows])
    if np.any(~(x > 0)) or np.any(~(y > 0)) or not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
        sys.exit(f"{path}: every x and every value must be a positive finite number to fit a power law")
    if len(np.unique(x)) < 3:
        sys.exit(f"{path}: the fit needs at least 3 distinct values of x; these runs have {len(np.unique(x))}")
    return x, y, fitted, n, d


def line(logx, logy):
    """Least-squares log y = c - a log x: (c, a)."""
    slope, intercept = np.polyfit(logx, logy, 1)
    return intercept, -slope


def fit_power(x, y):
    c, a = line(np.log(x), np.log(y))
    return {"A": float(np.exp(c)), "a": float(a), "E": None, "rmse": rmse(x, y, np.exp(c), a, 0.0)}


def rmse(x, y, big_a, a, e):
    m = big_a * x ** (-a) + e
    return float(np.sqrt(np.mean((np.log(y) - np.log(m)) ** 2)))


def power_model(x):
    """L = exp(q0) x^-q1 + q2, and its derivatives in (log A, a, E)."""
    logx = np.log(x)

    def model(q):
        power = np.exp(q[0]) * x ** (-q[1])
        m = power + q[2]
        return m, np.column_stack([power, -power * logx, np.ones_like(x)])
    return model


def joint_model(n, d):
    """L = exp(q0) N^-q1 + exp(q2) D^-q3 + q4, and its derivatives in (log A, a, log B, b, E)."""
    logn, logd = np.log(n), np.log(d)

    def model(q):
        pn = np.exp(q[0]) * n ** (-q[1])
        pd = np.exp(q[2]) * d ** (-q[3])
        return pn + pd + q[4], np.column_stack([pn, -pn * logn, pd, -pd * logd, np.ones_like(n)])
    return model


def levenberg_marquardt(model, y, p, free, lower, upper, iterations=500):
    """Minimises sum (log y - log m(p))^2 over the parameters marked free, within the bounds."""
    logy = np.log(y)

    def residuals(q):
        m, dm = model(q)
        m = np.maximum(m, 1e-300)
        return logy - np.log(m), dm, m

    r, dm, m = residuals(p)
    cost = r @ r
    lam = 1e-3
    for _ in range(iterations):
        jac = (-dm / m[:, None])[:, free]  # d r / d q, r = log y - log m
        g = jac.T @ r
        h = jac.T @ jac
        improved = converged = False
        while lam < 1e12:
            step = np.linalg.solve(h + lam * np.diag(np.diag(h) + 1e-12), -g)
            q = p.copy()
            q[free] += step
            q = np.clip(q, lower, upper)
            rq, dmq, mq = residuals(q)
            if rq @ rq < cost:
                converged = cost - rq @ rq < 1e-15 * max(cost, 1e-300)
                p, r, dm, m, cost, lam, improved = q, rq, dmq, mq, rq @ rq, max(lam / 10, 1e-12), True
                break
            lam *= 10
        if not improved or converged:
            break
    return p, cost


def fit_offset(x, y, grid=400):
    lowest = float(np.min(y))
    lower = np.array([-50.0, -5.0, 0.0])
    upper = np.array([50.0, 10.0, 0.999 * lowest])
    model = power_model(x)
    best = None
    # The profile over E: for each E, the best (log A, a) from the log-log line of L - E refined on log L.
    for e in np.linspace(0.0, 0.999 * lowest, grid):
        c, a = line(np.log(x), np.log(y - e))
        p, cost = levenberg_marquardt(model, y, np.array([c, a, e]), np.array([True, True, False]), lower, upper, iterations=50)
        if best is None or cost < best[1]:
            best = (p, cost)
    p, _ = levenberg_marquardt(model, y, best[0], np.array([True, True, True]), lower, upper)
    return {"A": float(np.exp(p[0])), "a": float(p[1]), "E": float(p[2]), "rmse": rmse(x, y, np.exp(p[0]), p[1], p[2])}


def fit_joint(n, d, y, grid=60):
    """L = A N^-a + B D^-b + E; the compute-optimal exponents N_opt ~ C^(b/(a+b)), D_opt ~ C^(a/(a+b))."""
    lowest = float(np.min(y))
    lower = np.array([-50.0, 0.0, -50.0, 0.0, 0.0])
    upper = np.array([50.0, 5.0, 50.0, 5.0, 0.999 * lowest])
    model = joint_model(n, d)
    best = None
    for e in np.linspace(0.0, 0.999 * lowest, grid):
        cn, an = line(np.log(n), np.log(y - e))
        cd, ad = line(np.log(d), np.log(y - e))
        for share in (0.2, 0.5, 0.8):
            start = np.clip([cn + np.log(share), max(an, 0.05), cd + np.log(1 - share), max(ad, 0.05), e], lower, upper)
            p, cost = levenberg_marquardt(model, y, start, np.array([True, True, True, True, False]), lower, upper, iterations=100)
            if best is None or cost < best[1]:
                best = (p, cost)
    p, cost = levenberg_marquardt(model, y, best[0], np.ones(5, dtype=bool), lower, upper)
    a, b = float(p[1]), float(p[3])
    return {"A": float(np.exp(p[0])), "a": a, "B": float(np.exp(p[2])), "b": b, "E": float(p[4]),
            "rmse": float(np.sqrt(cost / len(y))), "n_opt": b / (a + b), "d_opt": a / (a + b)}


def predict(fit, x):
    return fit["A"] * x ** (-fit["a"]) + (fit["E"] or 0.0)


def main():
    parser = argparse.ArgumentParser(description="Fit L = A*x^(-a) (+ E) to the scaling page's CSV export, independently of the page.")
    parser.add_argument("csv", help="the page's export: /api/analysis/scaling.csv?experiment=ID&x=N&law=offset")
    args = parser.parse_args()
    try:
        x, y, fitted, n, d = read(args.csv)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"{args.csv}: {e}")

    print(f"{len(x)} runs, {len(np.unique(x))} values of x from {x.min():.6g} to {x.max():.6g}, values from {y.min():.6g} to {y.max():.6g}")
    fits = {"power": fit_power(x, y), "offset": fit_offset(x, y)}
    print(f"power:  L = A*x^(-a)      A = {fits['power']['A']:.6g}  a = {fits['power']['a']:.6f}  rmse(log L) = {fits['power']['rmse']:.6g}")
    o = fits["offset"]
    print(f"offset: L = A*x^(-a) + E  A = {o['A']:.6g}  a = {o['a']:.6f}  E = {o['E']:.6g}  rmse(log L) = {o['rmse']:.6g}")
    joint = None
    if np.all(n > 0) and np.all(d > 0) and len(set(zip(n, d))) >= 6 and len(np.unique(n)) > 1 and len(np.unique(d)) > 1:
        joint = fit_joint(n, d, y)
        print(f"joint:  L = A*N^(-a) + B*D^(-b) + E  A = {joint['A']:.6g}  a = {joint['a']:.6f}  B = {joint['B']:.6g}  b = {joint['b']:.6f}  "
              f"E = {joint['E']:.6g}  rmse(log L) = {joint['rmse']:.6g}")
        print(f"compute-optimal: N_opt ~ C^{joint['n_opt']:.6f}  D_opt ~ C^{joint['d_opt']:.6f}")
    if np.all(np.isfinite(fitted)):
        curves = {law: predict(fit, x) for law, fit in fits.items()}
        if joint is not None:
            curves["joint"] = joint["A"] * n ** (-joint["a"]) + joint["B"] * d ** (-joint["b"]) + joint["E"]
        for law, curve in curves.items():
            worst = float(np.max(np.abs(curve / fitted - 1)))
            print(f"the page's fitted values against the {law} law fitted here: largest relative difference {100 * worst:.4f}%")
    else:
        print("the CSV has no fitted values (the page made no fit): nothing to compare")


if __name__ == "__main__":
    main()
