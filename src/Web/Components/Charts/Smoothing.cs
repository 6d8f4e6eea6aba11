namespace Dashboard.Web.Components.Charts;

/// <summary>TensorBoard's smoothing: an exponential moving average, debiased so that the first points are not pulled
/// towards zero (the average starts at 0 and is divided by 1 - weight^n). Non-finite values pass through.</summary>
public static class Smoothing
{
    public static double[] Ema(double[] ys, double weight)
    {
        if (!(weight > 0)) return ys;
        var smoothed = new double[ys.Length];
        double last = 0;
        int n = 0;
        for (int i = 0; i < ys.Length; i++)
        {
            if (!double.IsFinite(ys[i])) { smoothed[i] = ys[i]; continue; }
            last = last * weight + (1 - weight) * ys[i];
            n++;
            smoothed[i] = last / (1 - Math.Pow(weight, n));
        }
        return smoothed;
    }
}
