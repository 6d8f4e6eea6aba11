using Dashboard.Training.Specs;

namespace Dashboard.Training.Models;

/// <summary>A run's model size from its spec alone: parameters, and forward FLOPs of one sample (a multiply-add counts 2).</summary>
public static class ModelSizes
{
    public readonly record struct Sizes(long ParameterCount, long FlopsPerSample);

    public static Sizes Of(ExperimentSpec spec)
    {
        var graph = ModelFactory.BuildFor(spec);
        return new Sizes(graph.ParameterCount, graph.ForwardFlopsPerSample);
    }

    /// <summary>Null when the spec does not build (a stored spec of a model or dataset this version does not know).</summary>
    public static Sizes? TryOf(ExperimentSpec spec)
    {
        // The sizes are shown, never needed: a spec that cannot be sized must still launch and list.
        try { return Of(spec); }
        catch (Exception) { return null; }
    }

    public static Sizes? TryOf(string specJson)
    {
        try { return TryOf(SpecJson.Parse(specJson)); }
        catch (Exception) { return null; }
    }
}
