namespace Dashboard.Data.Metrics;

/// <summary>
/// The x-axes a compared metric can be drawn against, and how a point's step becomes its x. Every point is stored by
/// step, so each axis other than the step is read from another stored series of the same run: the per-step counters
/// (updates, samples, flops, elapsed), the `epoch` metric (logged at each epoch's last step), or the points' times.
/// </summary>
public static class SeriesAxes
{
    public const string Step = "step", Epoch = "epoch", Relative = "relative", Wall = "wall";

    public static readonly string[] Names = [Step, Epoch, "updates", "samples", "flops", "elapsed", Relative, Wall];

    /// <summary>The counters the trainer logs at every logged step, which are zero before the first step.</summary>
    public static bool IsCounter(string axis) => axis is "updates" or "samples" or "flops" or "elapsed";

    /// <summary>
    /// Each step's value of a series known at some steps: linear between the nearest known steps, the last segment's
    /// slope beyond the last one. A counter starts at 0 at step 0 (<paramref name="fromZero"/>), which also gives a
    /// single known point a slope. NaN where nothing is known.
    /// </summary>
    /// <param name="known">(step, value) in step order.</param>
    /// <param name="steps">Steps in ascending order.</param>
    public static double[] Interpolate(IReadOnlyList<(long Step, double Value)> known, IReadOnlyList<long> steps, bool fromZero)
    {
        var points = known;
        if (fromZero && (known.Count == 0 || known[0].Step > 0)) points = [(0L, 0.0), .. known];
        var x = new double[steps.Count];
        if (points.Count == 0)
        {
            Array.Fill(x, double.NaN);
            return x;
        }
        int j = 0;  // the first known point at or after the step (steps ascend, so it only moves forward)
        for (int i = 0; i < steps.Count; i++)
        {
            long s = steps[i];
            while (j < points.Count && points[j].Step < s) j++;
            if (j < points.Count && points[j].Step == s) x[i] = points[j].Value;
            else if (points.Count == 1) x[i] = points[0].Value;
            else
            {
                // Inside: the segment around s; before the first or after the last: the nearest segment, extended.
                int hi = Math.Clamp(j, 1, points.Count - 1);
                var (s0, v0) = points[hi - 1];
                var (s1, v1) = points[hi];
                x[i] = v0 + (v1 - v0) * (s - s0) / (double)(s1 - s0);
            }
        }
        return x;
    }

    /// <summary>
    /// Fractional epochs: the `epoch` metric gives each finished epoch e at its last step end_e, and a step s in
    /// epoch e is at e - 1 + (s - end_{e-1}) / (end_e - end_{e-1}), so an epoch's last step is at e. Steps after the
    /// last finished epoch go on at that epoch's length. NaN while no epoch has finished: its length is not known.
    /// </summary>
    /// <param name="epochEnds">(step, epoch) of the `epoch` metric, in step order.</param>
    /// <param name="steps">Steps in ascending order.</param>
    public static double[] Epochs(IReadOnlyList<(long Step, double Value)> epochEnds, IReadOnlyList<long> steps)
    {
        var x = new double[steps.Count];
        if (epochEnds.Count == 0)
        {
            Array.Fill(x, double.NaN);
            return x;
        }
        int j = 0;  // the first epoch ending at or after the step
        for (int i = 0; i < steps.Count; i++)
        {
            long s = steps[i];
            while (j < epochEnds.Count && epochEnds[j].Step < s) j++;
            int e = Math.Min(j, epochEnds.Count - 1);
            var (end, epoch) = epochEnds[e];
            // The epoch before: the previous row, or the start (step 0, epoch 0) before the first one logged.
            var (startStep, startEpoch) = e > 0 ? epochEnds[e - 1] : (0L, epoch - 1);
            long length = end - startStep;
            x[i] = length <= 0 ? epoch : startEpoch + (epoch - startEpoch) * (s - startStep) / (double)length;
        }
        return x;
    }

    /// <summary>Seconds of each time after <paramref name="origin"/>.</summary>
    public static double[] SecondsSince(IReadOnlyList<DateTime> times, DateTime origin)
    {
        var x = new double[times.Count];
        for (int i = 0; i < x.Length; i++) x[i] = (times[i] - origin).TotalSeconds;
        return x;
    }
}
