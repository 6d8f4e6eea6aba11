using Dashboard.Training.Specs;

namespace Dashboard.Web.Components.Pages.Experiments;

/// <summary>What the new-experiment form edits; turned into a spec and checked by the same validator as the API.</summary>
public sealed class ExperimentForm
{
    public string Name { get; set; } = "hps";
    public string Dataset { get; set; } = "hyperspheres";
    public string Model { get; set; } = "mlp";
    /// <summary>A whole spec pasted as JSON (the notebooks' config dicts load as they are); when given, it replaces the fields.</summary>
    public string? SpecJson { get; set; }
    public int N { get; set; } = 2000;
    public int P { get; set; } = 128;
    public int D { get; set; } = 5;
    public int Classes { get; set; } = 4;
    public double Noise { get; set; } = 0.1;
    public double ValFraction { get; set; } = 0.2;
    public string LayerSizes { get; set; } = "64, 32";
    public string Activation { get; set; } = "relu";
    public string Optimizer { get; set; } = "sgd";
    public double Lr { get; set; } = 0.05;
    public int BatchSize { get; set; } = 50;
    public int MaxEpochs { get; set; } = 20;
    public long Seed { get; set; }

    /// <summary>The spec, or null with the reasons added to <paramref name="errors"/>.</summary>
    public ExperimentSpec? ToSpec(SpecErrors errors)
    {
        if (!string.IsNullOrWhiteSpace(SpecJson))
        {
            try
            {
                return Training.Specs.SpecJson.Parse(SpecJson);
            }
            catch (InvalidSpecException e)
            {
                foreach (var (field, messages) in e.Errors.ToDictionary())
                    foreach (var m in messages) errors.Add("spec_json", $"{field}: {m}");
                return null;
            }
        }
        var sizes = new List<int>();
        foreach (var part in LayerSizes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(part, out var size)) sizes.Add(size);
            else errors.Add("model.layer_size", $"'{part}' is not a whole number");
        }
        var spec = new ExperimentSpec
        {
            Name = Name.Trim(),
            Dataset = Dataset == "hyperspheres"
                ? new DatasetSpec { Name = "hyperspheres", N = N, P = P, D = D, Classes = Classes, Noise = Noise, ValFraction = ValFraction }
                : new DatasetSpec { Name = Dataset },
            Model = Model == "mlp"
                ? new ModelSpec { Name = "mlp", LayerSize = [.. sizes], ActFuncs = [.. sizes.Select(_ => Activation)] }
                : new ModelSpec { Name = Model },
            Optimizer = new OptimizerSpec { Name = Optimizer, Lr = Lr },
            BatchSize = BatchSize,
            MaxEpochs = MaxEpochs,
            Seed = Seed,
        };
        SpecValidator.Validate(spec, errors);
        return errors.Any ? null : spec;
    }
}
