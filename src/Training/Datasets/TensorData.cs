namespace Dashboard.Training.Datasets;

/// <summary>Inputs (row-major, batch first) and class labels, on the host, before they go to the device.</summary>
public sealed record TensorData(float[] Inputs, long[] Shape, long[] Labels)
{
    public long Count => Shape[0];
    public long Features => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
}

public sealed record TrainingData(TensorData Train, TensorData Validation, int Classes)
{
    /// <summary>Per channel, the value a black pixel has after normalisation: what random-crop padding fills with.</summary>
    public float[]? Black { get; init; }
}
