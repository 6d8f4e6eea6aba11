using Dashboard.Training.Specs;

namespace Dashboard.Training.Engine;

/// <summary>
/// Learning-rate and batch-size schedules as pure functions of the position in the run.
/// The lr schedules give PyTorch's torch.optim.lr_scheduler values (tests/Training.Tests/Reference holds the
/// script that produced the expected values); each formula is written in the order PyTorch's closed form
/// evaluates it, so that the doubles agree to the last bits or nearly so.
/// </summary>
public static class Schedules
{
    /// <summary>
    /// The learning rate for the step <paramref name="stepInEpoch"/> (0-based) of <paramref name="stepsInEpoch"/>
    /// in epoch <paramref name="epoch"/> (0-based: the first epoch is 0, as PyTorch's last_epoch right after the
    /// scheduler is built).
    /// </summary>
    /// <remarks>
    /// Time t is the epoch, or with per_step the fractional epoch epoch + stepInEpoch / stepsInEpoch.
    /// While t &lt; warmup_epochs (w) the lr rises linearly from base * warmup_start_factor towards base, by step
    /// whatever per_step says, so the warm-up is smooth; from t &gt;= w on, the schedule runs at time t - w.
    /// With integer w and per_step false this is PyTorch's SequentialLR([LinearLR(start_factor, total_iters=w),
    /// schedule], milestones=[w]) at every epoch.
    /// </remarks>
    public static double LearningRate(LrScheduleSpec s, double baseLr, int epoch, long stepInEpoch, long stepsInEpoch, int maxEpochs)
    {
        ArgumentNullException.ThrowIfNull(s);
        // i / iters as PyTorch's documentation writes it; both are whole numbers, so the quotient rounds once.
        var frac = stepsInEpoch > 0 ? (double)stepInEpoch / stepsInEpoch : 0.0;
        var w = s.WarmupEpochs;
        if (w > 0)
        {
            var t = s.PerStep ? epoch + frac : epoch;
            if (t < w)
            {
                // With per_step false and a fractional w the last warm-up epoch runs past w; the lr stops at base.
                var tw = Math.Min(epoch + frac, w);
                var f = s.WarmupStartFactor;
                // LinearLR's closed form: base * (start + (end - start) * min(total_iters, t) / total_iters).
                return baseLr * (f + (1 - f) * tw / w);
            }
        }

        // (epoch - w) + frac rather than (epoch + frac) - w: for a whole w this is exactly the epoch + i / iters
        // that PyTorch would be given for the schedule on its own. Rounding may leave a hair below zero.
        var ti = Math.Max(0.0, (epoch - w) + (s.PerStep ? frac : 0.0));
        return Inner(s, baseLr, ti, maxEpochs);
    }

    private static double Inner(LrScheduleSpec s, double baseLr, double t, int maxEpochs)
    {
        switch (s.Name)
        {
            case "constant":
                return baseLr;

            case "step":
                // StepLR: base * gamma ** (last_epoch // step_size).
                if (s.StepSize < 1) throw new ArgumentOutOfRangeException(nameof(s), "step_size must be at least 1");
                return baseLr * Math.Pow(s.Gamma, Math.Floor(t / s.StepSize));

            case "exponential":
                // ExponentialLR: base * gamma ** last_epoch.
                return baseLr * Math.Pow(s.Gamma, t);

            case "cosine":
            {
                // CosineAnnealingLR. PyTorch steps it recursively, but its recursion reproduces the closed form
                // eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2 for every t, including t > T_max:
                // there it does not stay at eta_min but follows the cosine back up, reaching base again at
                // 2 * T_max (checked against torch 1.13 up to 2.5 * T_max). We match PyTorch and keep the plain
                // closed form; with the default T_max (max_epochs - warmup_epochs) a run never gets past T_max.
                double tMax = s.TMax ?? (maxEpochs - s.WarmupEpochs);
                if (!(tMax > 0)) throw new ArgumentOutOfRangeException(nameof(s), "t_max must be positive");
                return s.EtaMin + (baseLr - s.EtaMin) * (1 + Math.Cos(Math.PI * t / tMax)) / 2;
            }

            case "cosine_warm_restarts":
            {
                var (tCur, tI) = WarmRestartPosition(t, s.T0, s.TMult);
                // CosineAnnealingWarmRestarts.get_lr.
                return s.EtaMin + (baseLr - s.EtaMin) * (1 + Math.Cos(Math.PI * tCur / tI)) / 2;
            }

            default:
                throw new ArgumentException($"unknown lr schedule '{s.Name}'", nameof(s));
        }
    }

    /// <summary>
    /// T_cur and T_i of CosineAnnealingWarmRestarts at time t (its step(epoch) with a fractional epoch): the
    /// periods are T_0, T_0 * T_mult, T_0 * T_mult^2, ...; T_i is the current one, T_cur the time since it began.
    /// </summary>
    /// <remarks>
    /// For T_mult &gt; 1 PyTorch finds the period as n = int(log(t / T_0 * (T_mult - 1) + 1, T_mult)). The
    /// logarithm is inexact, and at some restarts it lands just under a whole number (T_0 = 1, T_mult = 3,
    /// t = 121: log base 3 of 243 gives 4.999999999999999), so step(121) gives eta_min where a restart to base
    /// is due, and where stepping once per epoch with step() gives base. We find n by walking the periods in
    /// whole numbers instead: the same T_cur and T_i as PyTorch's formula wherever its logarithm is right, and
    /// the same as step() at every whole epoch.
    /// </remarks>
    internal static (double TCur, double TI) WarmRestartPosition(double t, int t0, int tMult)
    {
        if (t0 < 1) throw new ArgumentOutOfRangeException(nameof(t0), "t_0 must be at least 1");
        if (tMult < 1) throw new ArgumentOutOfRangeException(nameof(tMult), "t_mult must be at least 1");
        if (!double.IsFinite(t) || t < 0) throw new ArgumentOutOfRangeException(nameof(t), "time must be finite and not negative");
        if (t < t0) return (t, t0);
        // PyTorch: T_cur = epoch % T_0 (a float remainder; t is not negative, so C#'s % is the same).
        if (tMult == 1) return (t % t0, t0);

        // Start of the current period and its length, both whole numbers (exact as doubles up to 2^53).
        // Each pass multiplies a period no longer than t by t_mult, so this stays far inside a long.
        long start = 0, period = t0;
        while (start + period <= t)
        {
            start += period;
            period *= tMult;
        }
        return (t - start, period);
    }

    /// <summary>
    /// The batch size in epoch <paramref name="epoch"/> (0-based): constant, or
    /// min(max, floor(batch_size * growth^epoch)); never below 1. A null schedule means constant.
    /// </summary>
    public static int BatchSize(BatchScheduleSpec? s, int baseBatch, int epoch)
    {
        if (s is null || s.Name == "constant") return Math.Max(1, baseBatch);
        if (s.Name != "exponential") throw new ArgumentException($"unknown batch schedule '{s.Name}'", nameof(s));
        // As Python's int(batch_size * growth ** epoch): one pow, one product, then truncation (the value is positive).
        var size = Math.Floor(baseBatch * Math.Pow(s.Growth, epoch));
        if (double.IsNaN(size)) return Math.Max(1, baseBatch);
        var cap = (double)(s.Max ?? int.MaxValue);
        if (size > cap) size = cap; // also keeps an overflow to infinity inside an int
        return size < 1 ? 1 : (int)size;
    }
}
