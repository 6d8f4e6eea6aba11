using Dashboard.Training.Specs;

namespace Dashboard.Training.Models;

/// <summary>
/// Whether a run fits the memory of its device, and what to change when it does not. The launch checks every run
/// with it, and a tpe sweep each run it proposes later, when nobody is at the form to read the answer.
/// </summary>
public static class MemoryFit
{
    /// <summary>
    /// The field to change and what to say when <paramref name="estimate"/> exceeds <paramref name="limit"/> (none
    /// when the limit is unknown): the batch size when a smaller batch would fit, else the largest of the model, its
    /// stored minima and the dataset.
    /// </summary>
    public static (string Field, string Message)? Problem(ExperimentSpec spec, MemoryEstimate estimate, long? limit)
    {
        if (limit is not { } bytes || estimate.Total <= bytes) return null;
        var (field, advice) = TooLarge(spec, estimate, bytes);
        return (field, $"the run needs {estimate.Describe()}; {spec.Device} has {MemoryEstimate.Bytes(bytes)} on the largest host that trains on it: {advice}");
    }

    private static (string Field, string Advice) TooLarge(ExperimentSpec spec, MemoryEstimate e, long limit)
    {
        // The batch is to blame when one sample a step would fit; else what the run holds, or its step's copies of the
        // largest weights, is too much at any batch.
        if (MemoryEstimate.TryFor(spec with { BatchSize = 1, BatchSchedule = new BatchScheduleSpec() }) is { } atOne && atOne.Total <= limit)
            return spec.BatchSchedule.Name == "exponential" && e.BatchSize > spec.BatchSize
                ? ("batch_schedule.max", "cap the growing batch lower")
                : ("batch_size", "train with a smaller batch");
        long model = e.Parameters + e.Gradients + e.OptimizerState;
        if (e.Minima > model && e.Minima >= e.Dataset)
            return (spec.LossFunc.CaptureEpochs.Length > 0 ? "loss_func.capture_epochs" : "loss_func.minima_from", "store fewer minima, or merge them");
        if (e.Dataset > model)
            return (spec.Dataset!.Size is not null ? "dataset.size" : spec.Dataset.Name == "hyperspheres" ? "dataset.n" : "dataset.name", "train on fewer samples");
        return spec.Model!.Name switch
        {
            "mlp" => ("model.layer_size", "make the layers smaller"),
            "cnn" => ("model.width", "make the network narrower"),
            "mobilenet_v2" => ("model.width_mult", "make the network narrower"),
            _ => ("model.name", "choose a smaller model"),
        };
    }
}
