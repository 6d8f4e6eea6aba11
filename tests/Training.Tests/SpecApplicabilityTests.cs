using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>A run stores only the fields of its own kinds (no model.width on an MLP), and that reads back to the same spec.</summary>
public class SpecApplicabilityTests
{
    private static readonly ExperimentSpec Mlp = new()
    {
        Dataset = new DatasetSpec { N = 300, P = 16, D = 3 },
        Model = new ModelSpec { LayerSize = [8] },
    };

    /// <summary>One spec per kind of each section, with that kind's own fields away from their defaults.</summary>
    public static TheoryData<string, ExperimentSpec> EveryKind()
    {
        var cifar = new DatasetSpec { Name = "cifar10", Size = 100 };
        var cnnBase = Mlp with { Dataset = cifar, Model = new ModelSpec { Name = "simple_cnn" } };
        var data = new TheoryData<string, ExperimentSpec>
        {
            { "dataset hyperspheres", Mlp with { Dataset = new DatasetSpec { N = 300, P = 16, D = 3, Classes = 3, Noise = 0.2, ValFraction = 0.25, Size = 100, Normalize = false } } },
            { "model mlp", Mlp with { Model = new ModelSpec { Nlayers = 2, LayerSize = [8, 8], ActFuncs = ["tanh", "gelu"], BatchNorm = true, Dropout = 0.1, SkipSteps = 1, OutputDim = 4 } } },
            { "model cnn", cnnBase with { Model = new ModelSpec { Name = "cnn", Width = 8, Depth = 2, Stages = 1, BatchNorm = false, ActFuncs = ["gelu"] } } },
            { "model simple_cnn", cnnBase },
            { "model resnet18", cnnBase with { Model = new ModelSpec { Name = "resnet18", Stem = "cifar" } } },
            { "model resnet34", cnnBase with { Model = new ModelSpec { Name = "resnet34", Stem = "imagenet" } } },
            { "model mobilenet_v2", cnnBase with { Model = new ModelSpec { Name = "mobilenet_v2", Stem = "cifar", WidthMult = 0.5, Dropout = 0.3 } } },
            { "optimizer sgd", Mlp with { Optimizer = new OptimizerSpec { Lr = 0.1, Momentum = 0.5, WeightDecay = 1e-4 } } },
            { "optimizer sgd_momentum_wdecay", Mlp with { Optimizer = new OptimizerSpec { Name = "sgd_momentum_wdecay", Momentum = 0.8, Regularization = 1e-3 } } },
            { "optimizer adam with a head group", Mlp with { Optimizer = new OptimizerSpec { Name = "adam", Beta1 = 0.8, Beta2 = 0.99, Eps = 1e-6,
                Groups = [new OptimizerSpec { Name = "sgd", Params = "head", Lr = 0.5, Momentum = 0.9 }] } } },
            { "optimizer adamw", Mlp with { Optimizer = new OptimizerSpec { Name = "adamw", Beta1 = 0.7, WeightDecay = 0.01 } } },
            { "lr constant", Mlp with { LrSchedule = new LrScheduleSpec { WarmupEpochs = 1, WarmupStartFactor = 0.1, PerStep = true } } },
            { "lr step", Mlp with { LrSchedule = new LrScheduleSpec { Name = "step", StepSize = 5, Gamma = 0.5 } } },
            { "lr exponential", Mlp with { LrSchedule = new LrScheduleSpec { Name = "exponential", Gamma = 0.9 } } },
            { "lr cosine", Mlp with { LrSchedule = new LrScheduleSpec { Name = "cosine", TMax = 8, EtaMin = 1e-4 } } },
            { "lr cosine_warm_restarts", Mlp with { LrSchedule = new LrScheduleSpec { Name = "cosine_warm_restarts", T0 = 3, TMult = 2, EtaMin = 1e-5 } } },
            { "batch constant", Mlp with { BatchSchedule = new BatchScheduleSpec() } },
            { "batch exponential", Mlp with { BatchSchedule = new BatchScheduleSpec { Name = "exponential", Growth = 1.1, Max = 512 } } },
        };
        foreach (var name in new[] { "mnist", "fashion_mnist" })
            data.Add($"dataset {name}", Mlp with { Dataset = new DatasetSpec { Name = name, Folder = "/srv/" + name, CropPadding = 2, Flip = true, Size = 50 } });
        data.Add("dataset cifar10", cnnBase with { Dataset = cifar with { CropPadding = 4, Flip = true, Normalize = false } });
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryKind))]
    public void A_stored_spec_holds_only_its_kinds_fields_and_reads_back_to_the_same_spec(string kinds, ExperimentSpec spec)
    {
        var stored = SpecJson.Serialize(spec);
        var again = SpecJson.Parse(stored);
        Assert.Equal(SpecJson.SerializeAll(spec), SpecJson.SerializeAll(again));

        var keys = RunParameters.Flatten(JsonNode.Parse(stored)).Keys.ToList();
        Assert.All(keys, key => Assert.True(SpecApplicability.Applies(spec, key), $"{kinds}: {key} is stored but does not apply"));
        // Every field of its kinds is there, defaults included (a null is "not given" and left out as before).
        var all = RunParameters.Flatten(JsonNode.Parse(SpecJson.SerializeAll(spec))).Keys;
        Assert.Equal(all.Where(k => SpecApplicability.Applies(spec, k)).Order(), keys.Order());
    }

    [Fact]
    public void An_mlp_run_stores_no_cnn_width_and_a_cnn_no_layer_sizes()
    {
        // A notebook's config dict often carries every model's keys.
        var spec = SpecJson.Parse("""{"dataset":{"name":"hyperspheres","n":300,"p":16},"model":{"name":"mlp","layer_size":[8],"width":16,"stem":"cifar"},"optimizer":{"name":"sgd","beta1":0.5}}""");
        var stored = JsonNode.Parse(SpecJson.Serialize(spec))!;
        Assert.Equal("""{"name":"mlp","layer_size":[8],"act_funcs":[],"skip_steps":0}""", stored["model"]!.ToJsonString());
        Assert.Equal("""{"name":"sgd","lr":0.01,"weight_decay":0}""", stored["optimizer"]!.ToJsonString());
        Assert.Equal("""{"name":"constant","warmup_epochs":0,"warmup_start_factor":0.01,"per_step":false}""", stored["lr_schedule"]!.ToJsonString());
        Assert.Equal("""{"name":"constant","drop_last":false}""", stored["batch_schedule"]!.ToJsonString());
        Assert.Equal(16, JsonNode.Parse(SpecJson.SerializeAll(spec))!["model"]!["width"]!.GetValue<int>());

        var cnn = SpecJson.Parse("""{"dataset":"cifar10","model":{"name":"cnn","width":16}}""");
        var model = JsonNode.Parse(SpecJson.Serialize(cnn))!["model"]!.AsObject();
        Assert.Equal(["name", "act_funcs", "width", "depth", "stages"], model.Select(kv => kv.Key));
        Assert.Null(JsonNode.Parse(SpecJson.Serialize(cnn))!["dataset"]!["n"]);
    }

    [Fact]
    public void Dotted_keys_apply_by_their_sections_kind_list_indexes_included()
    {
        var cnn = Mlp with { Dataset = new DatasetSpec { Name = "cifar10" }, Model = new ModelSpec { Name = "cnn" } };
        Assert.False(SpecApplicability.Applies(Mlp, "model.width"));
        Assert.True(SpecApplicability.Applies(cnn, "model.width"));
        Assert.False(SpecApplicability.Applies(cnn, "model.layer_size.0"));
        Assert.True(SpecApplicability.Applies(Mlp, "model.layer_size.0"));
        Assert.False(SpecApplicability.Applies(Mlp, "dataset.flip"));
        Assert.True(SpecApplicability.Applies(Mlp, "optimizer.lr"));
        Assert.True(SpecApplicability.Applies(Mlp, "seed"));
        Assert.Equal(["cnn"], SpecApplicability.KindsOf("model.width"));
        Assert.Null(SpecApplicability.KindsOf("optimizer.lr"));
    }

    [Fact]
    public void Every_kind_the_fields_name_exists()
    {
        // A misspelt kind in an [AppliesTo] would silently drop a field from every run of that kind.
        var known = new Dictionary<string, string[]>
        {
            ["dataset"] = SpecValidator.Datasets, ["model"] = SpecValidator.Models, ["optimizer"] = SpecValidator.Optimizers,
            ["lr_schedule"] = LrScheduleSpec.Names, ["batch_schedule"] = BatchScheduleSpec.Names,
        };
        var named = SpecApplicability.KindsNamed();
        Assert.Equal(known.Keys.Order(), named.Where(kv => kv.Value.Count > 0).Select(kv => kv.Key).Order());
        foreach (var (section, kinds) in named)
            Assert.All(kinds, k => Assert.Contains(k, known[section]));
    }

    [Fact]
    public void A_sweep_over_the_model_keeps_each_kinds_fields_and_drops_values_that_apply_to_no_run()
    {
        var runs = Sweeps.Expand(SpecJson.Parse("""
            {"dataset":{"name":"cifar10","size":100},"model":{"name":"mlp","layer_size":[8],"width":8},
             "sweep":{"parameters":{"model.name":["mlp","cnn"],"model.depth":[1,2]}}}
            """));
        Assert.Equal(4, runs.Count);
        var cnn = runs.Where(r => r.Spec.Model!.Name == "cnn").ToList();
        // The width the spec gave for the cnn is the cnn runs' width, though the spec's own model is an mlp.
        Assert.All(cnn, r => Assert.Equal(8, r.Spec.Model!.Width));
        Assert.Equal([1, 2], cnn.Select(r => r.Spec.Model!.Depth));
        Assert.Equal(["""{"model.name":"cnn","model.depth":1}""", """{"model.name":"cnn","model.depth":2}"""], cnn.Select(r => r.ParamsJson()));
        // model.depth changed nothing in an mlp: not one of its parameters.
        Assert.All(runs.Where(r => r.Spec.Model!.Name == "mlp"), r => Assert.Equal("""{"model.name":"mlp"}""", r.ParamsJson()));

        var error = Assert.Throws<InvalidSpecException>(() => Sweeps.Expand(SpecJson.Parse("""
            {"dataset":{"name":"hyperspheres","n":200,"p":8,"d":2},"model":{"name":"mlp","layer_size":[8]},
             "sweep":{"parameters":{"model.width":[8,16],"seed":[0,1]}}}
            """))).Errors.ToDictionary();
        Assert.Equal(["sweep.parameters.model.width"], error.Keys);
        Assert.Contains("applies to none of the runs: model.width is used by cnn only", error["sweep.parameters.model.width"][0]);
    }

    [Fact]
    public void An_experiments_template_keeps_what_applies_to_any_of_its_runs()
    {
        var template = SpecJson.Parse("""{"dataset":"cifar10","model":{"name":"mlp","layer_size":[8],"width":8,"stem":"cifar"},"sweep":{"parameters":{"model.name":["mlp","cnn"]}}}""");
        var runs = Sweeps.Expand(template).Select(r => r.Spec).ToList();
        var stored = JsonNode.Parse(SpecJson.SerializeFor(template, [template, .. runs]))!;
        Assert.Equal(8, stored["model"]!["width"]!.GetValue<int>());
        Assert.Equal([8], stored["model"]!["layer_size"]!.AsArray().Select(n => n!.GetValue<int>()));
        // No run is a resnet or a mobilenet: the stem applies to none.
        Assert.Null(stored["model"]!["stem"]);
        Assert.NotNull(stored["sweep"]);
    }
}
