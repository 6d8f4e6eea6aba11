#!/usr/bin/python3
"""Reference values for AveragePrecisionTests (scikit-learn was not installed where they were made).

Re-implements scikit-learn's average_precision_score for one class against the rest with numpy, following its
documented definition: rank by score, one threshold per distinct score (ties enter together, as in
precision_recall_curve), AP = sum_n (R_n - R_{n-1}) * P_n. Macro = mean over classes with at least one positive.
Where scikit-learn is installed, it is used as a cross-check.

Run: /usr/bin/python3 tests/Training.Tests/Reference/average_precision_reference.py
"""
import numpy as np


def binary_ap(y, s):
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    # the last index of each run of equal scores is a threshold
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(y)[last].astype(np.float64)
    seen = (last + 1).astype(np.float64)
    precision = tp / seen
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def macro(scores, labels, classes):
    aps = []
    for c in range(classes):
        y = (labels == c).astype(np.int64)
        aps.append(binary_ap(y, scores[:, c]) if y.sum() > 0 else float("nan"))
    present = [a for a in aps if not np.isnan(a)]
    return aps, float(np.mean(present))


def ties_case():
    # Scores k/10 with many ties; class 3 has no positive.
    n, c = 30, 4
    i = np.arange(n)[:, None]
    k = np.arange(c)[None, :]
    scores = (((i * 7 + k * 13) % 11).astype(np.float32) / np.float32(10))
    labels = (np.arange(n) * 5 + np.arange(n) // 4) % 3
    return scores, labels, c


def hashed_case():
    # Nearly distinct scores from integer hashing (exact in both languages).
    n, c = 200, 5
    i = np.arange(n, dtype=np.int64)[:, None]
    k = np.arange(c, dtype=np.int64)[None, :]
    scores = ((i * 2654435761 + k * 40503) % 1000003).astype(np.float32) / np.float32(1000003)
    labels = (np.arange(n) * 37 + np.arange(n) // 7) % 5
    return scores, labels, c


if __name__ == "__main__":
    for name, case in [("ties", ties_case), ("hashed", hashed_case)]:
        scores, labels, classes = case()
        aps, m = macro(scores, labels, classes)
        print(name, "per class", [repr(a) for a in aps], "macro", repr(m))
        try:
            from sklearn.metrics import average_precision_score
            for cl in range(classes):
                y = labels == cl
                if y.any():
                    assert abs(average_precision_score(y, scores[:, cl]) - aps[cl]) < 1e-12
            print("  matches scikit-learn")
        except ImportError:
            pass
    # Hand-checked small cases (see the tests): scikit-learn's documented example gives 0.8333...
    print("sklearn doc example", binary_ap(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])))
    print("ties", binary_ap(np.array([1, 0, 0, 1]), np.array([0.5, 0.5, 0.5, 0.2])))
