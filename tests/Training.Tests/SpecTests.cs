using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class SpecTests
{
    private static IReadOnlyDictionary<string, string[]> Errors(string json) =>
        Assert.Throws<InvalidSpecException>(() => SpecJson.Parse(json)).Errors.ToDictionary();

    [Fact]
    public void The_notebooks_config_dict_loads_as_it_is()
    {
        // "mnist1" from the notes, with JSON's false.
        var spec = SpecJson.Parse("""
            {"dataset":"mnist",
             "model":"mlp",
             "loss_func": {"name":"softmax_loss", "distance":false, "factor":0.001},
             "optimizer":{"name":"sgd_momentum_wdecay", "lr":1e-2, "regularization":0.001},
             "acc_func":"softmax_accuracy",
             "batch_size":128,
             "max_epochs":20}
            """);
        Assert.Equal("mnist", spec.Dataset!.Name);
        Assert.Equal("mlp", spec.Model!.Name);
        Assert.Equal(0.01, spec.Optimizer.Lr);
        Assert.Equal(0.9, spec.Optimizer.EffectiveMomentum);
        Assert.Equal(0.001, spec.Optimizer.EffectiveWeightDecay);
        Assert.Equal(128, spec.BatchSize);
    }

    [Fact]
    public void A_stored_spec_reads_back_to_the_same_spec()
    {
        var spec = SpecJson.Parse("""{"dataset":{"name":"hyperspheres","n":300},"model":{"name":"mlp","layer_size":[8]}}""");
        var again = SpecJson.Parse(SpecJson.Serialize(spec));
        Assert.Equal(SpecJson.Serialize(spec), SpecJson.Serialize(again));
        Assert.Equal(300, again.Dataset!.N);
    }

    [Fact]
    public void Each_bad_field_is_named()
    {
        var errors = Errors("""
            {"model":{"name":"mlp","layer_size":[8,4],"act_funcs":["relu"]},
             "optimizer":{"name":"sgd","lr":-0.1}, "batch_size":0}
            """);
        Assert.Equal(["required"], errors["dataset"]);
        Assert.Contains("1 activations for 2 layers", errors["model.act_funcs"][0]);
        Assert.Contains("positive", errors["optimizer.lr"][0]);
        Assert.True(errors.ContainsKey("batch_size"));
    }

    [Fact]
    public void Precision_and_cudnn_autotuning_are_checked_against_the_device()
    {
        Assert.Contains("tf32 is a CUDA setting", Errors("""{"dataset":"hyperspheres","model":"mlp","precision":"tf32"}""")["precision"][0]);
        Assert.Contains("unknown precision 'fp16'; one of fp32, tf32, bf16", Errors("""{"dataset":"hyperspheres","model":"mlp","precision":"fp16"}""")["precision"][0]);
        Assert.Contains("CUDA devices only", Errors("""{"dataset":"hyperspheres","model":"mlp","cudnn_benchmark":true}""")["cudnn_benchmark"][0]);
        var gpu = SpecJson.Parse("""{"dataset":"hyperspheres","model":"mlp","device":"cuda:0","precision":"tf32","cudnn_benchmark":true}""");
        Assert.Equal(("tf32", true), (gpu.Precision, gpu.CudnnBenchmark));
        Assert.Equal("bf16", SpecJson.Parse("""{"dataset":"hyperspheres","model":"mlp","precision":"bf16"}""").Precision);
        Assert.Equal("fp32", SpecJson.Parse("""{"dataset":"hyperspheres","model":"mlp"}""").Precision);
    }

    [Fact]
    public void Unknown_names_and_keys_are_refused_with_their_path()
    {
        Assert.Contains("unknown model 'vgg'", Errors("""{"dataset":"hyperspheres","model":"vgg"}""")["model.name"][0]);
        Assert.Equal(["unknown key"], Errors("""{"dataset":{"name":"hyperspheres","bogus":1},"model":"mlp"}""")["dataset.bogus"]);
        Assert.Equal(["unknown key"], Errors("""{"dataset":"hyperspheres","model":"mlp","learning_rate":0.1}""")["learning_rate"]);
        Assert.Contains("a number", Errors("""{"dataset":"hyperspheres","model":"mlp","optimizer":{"lr":"fast"}}""")["optimizer.lr"][0]);
        Assert.Contains("cannot exceed", Errors("""{"dataset":{"name":"hyperspheres","p":3,"d":5},"model":"mlp"}""")["dataset.d"][0]);
        Assert.StartsWith("not valid JSON", Errors("""{"dataset": """)["spec"][0]);
    }
}
