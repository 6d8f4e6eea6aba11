namespace Dashboard.Training.Specs;

/// <summary>
/// Checks the lr_schedule and batch_schedule sections field by field. A missing section means constant.
/// Only the fields the chosen schedule uses are checked (a cosine schedule does not care about gamma), plus the
/// warm-up, which goes in front of every lr schedule.
/// </summary>
internal static class ScheduleValidation
{
    public static void Validate(LrScheduleSpec? lr, BatchScheduleSpec? batch, int maxEpochs, SpecErrors e)
    {
        if (lr is not null) ValidateLr(lr, maxEpochs, e);
        if (batch is not null) ValidateBatch(batch, e);
    }

    private static void ValidateLr(LrScheduleSpec s, int maxEpochs, SpecErrors e)
    {
        const string p = "lr_schedule.";
        switch (s.Name)
        {
            case "constant":
                break;
            case "step":
                if (s.StepSize < 1) e.Add(p + "step_size", "must be at least 1 epoch");
                CheckGamma(s.Gamma, e);
                break;
            case "exponential":
                CheckGamma(s.Gamma, e);
                break;
            case "cosine":
                if (s.TMax is { } tMax && tMax < 1) e.Add(p + "t_max", "must be at least 1 epoch (or left out for max_epochs minus warmup_epochs)");
                CheckEtaMin(s.EtaMin, e);
                break;
            case "cosine_warm_restarts":
                if (s.T0 < 1) e.Add(p + "t_0", "must be at least 1 epoch");
                if (s.TMult < 1) e.Add(p + "t_mult", "must be a whole number of at least 1");
                CheckEtaMin(s.EtaMin, e);
                break;
            default:
                e.Add(p + "name", $"unknown lr schedule '{s.Name}'; one of {string.Join(", ", LrScheduleSpec.Names)}");
                break;
        }

        if (!(s.WarmupEpochs >= 0) || !double.IsFinite(s.WarmupEpochs))
            e.Add(p + "warmup_epochs", "must be zero or positive");
        else if (maxEpochs >= 1 && s.WarmupEpochs >= maxEpochs)
            e.Add(p + "warmup_epochs", $"must be less than max_epochs ({maxEpochs})");
        if (!(s.WarmupStartFactor > 0 && s.WarmupStartFactor <= 1))
            e.Add(p + "warmup_start_factor", "must be in (0, 1]");
    }

    private static void CheckGamma(double gamma, SpecErrors e)
    {
        if (!(gamma > 0 && gamma <= 1)) e.Add("lr_schedule.gamma", "must be in (0, 1]");
    }

    private static void CheckEtaMin(double etaMin, SpecErrors e)
    {
        if (!(etaMin >= 0) || !double.IsFinite(etaMin)) e.Add("lr_schedule.eta_min", "must be zero or positive");
    }

    private static void ValidateBatch(BatchScheduleSpec s, SpecErrors e)
    {
        const string p = "batch_schedule.";
        switch (s.Name)
        {
            case "constant":
                break;
            case "exponential":
                if (!(s.Growth >= 1) || !double.IsFinite(s.Growth)) e.Add(p + "growth", "must be a number of at least 1");
                if (s.Max is { } max && max is < 1 or > SpecValidator.MaxBatch)
                    e.Add(p + "max", $"must be between 1 and {SpecValidator.MaxBatch:N0} (or left out for no cap)");
                break;
            default:
                e.Add(p + "name", $"unknown batch schedule '{s.Name}'; one of {string.Join(", ", BatchScheduleSpec.Names)}");
                break;
        }
    }
}
