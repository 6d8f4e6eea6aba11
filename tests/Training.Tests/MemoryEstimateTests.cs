using Dashboard.Training.Models;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class MemoryEstimateTests
{
    // hyperspheres p = 8, 2 classes, one hidden layer of 16: 8*16 + 16 + 16*2 + 2 = 178 parameters.
    private const long SmallParameters = 178;

    private static ExperimentSpec Small(string optimizer = """{ "name": "sgd" }""", int batch = 10, string extra = "", int epochs = 3) => SpecJson.Parse($$"""
        { "dataset": { "name": "hyperspheres", "n": 2000, "p": 8, "d": 2, "classes": 2 },
          "model": { "name": "mlp", "layer_size": [16] }, "optimizer": {{optimizer}}, "batch_size": {{batch}}, "max_epochs": {{epochs}} {{extra}} }
        """);

    [Fact]
    public void Parameters_and_gradients_are_four_bytes_a_parameter_of_the_count_the_model_summary_shows()
    {
        var spec = Small();
        var estimate = MemoryEstimate.For(spec);
        Assert.Equal(SmallParameters, ModelSizes.Of(spec).ParameterCount);
        Assert.Equal(4 * SmallParameters, estimate.Parameters);
        Assert.Equal(4 * SmallParameters, estimate.Gradients);
    }

    [Theory]
    [InlineData("""{ "name": "sgd" }""", 0)]
    [InlineData("""{ "name": "sgd", "momentum": 0.5 }""", 1)]
    [InlineData("""{ "name": "sgd_momentum_wdecay" }""", 1)]   // momentum 0.9 by default
    [InlineData("""{ "name": "adam" }""", 2)]
    [InlineData("""{ "name": "adamw", "weight_decay": 0.01 }""", 2)]
    public void Optimizer_state_is_a_momentum_buffer_or_two_adam_moments_per_parameter(string optimizer, int perParameter)
    {
        Assert.Equal(perParameter * 4 * SmallParameters, MemoryEstimate.For(Small(optimizer)).OptimizerState);
    }

    [Fact]
    public void A_parameter_group_with_its_own_optimizer_holds_state_for_its_own_parameters_only()
    {
        // The head (16*2 + 2 = 34 parameters) on Adam, the body on plain SGD (no state).
        var spec = Small("""{ "name": "sgd", "groups": [{ "params": "head", "name": "adam", "lr": 0.001 }] }""");
        Assert.Equal(2 * 4 * 34, MemoryEstimate.For(spec).OptimizerState);
    }

    [Fact]
    public void Activations_and_the_batch_scale_with_the_batch_size_and_the_rest_does_not()
    {
        var ten = MemoryEstimate.For(Small(batch: 10));
        var forty = MemoryEstimate.For(Small(batch: 40));
        Assert.True(ten.Activations > 0);
        Assert.Equal(4 * ten.Activations, forty.Activations);
        Assert.Equal(4 * ten.Batch, forty.Batch);
        Assert.Equal(ten.Persistent, forty.Persistent);
    }

    [Fact]
    public void A_growing_batch_is_estimated_at_its_cap_and_no_batch_exceeds_the_training_samples()
    {
        // 10, 20, 40, 80, then 160 capped at 100.
        var growing = MemoryEstimate.For(Small(epochs: 5, extra: """, "batch_schedule": { "name": "exponential", "growth": 2, "max": 100 }"""));
        Assert.Equal(100, growing.BatchSize);
        // n = 2000 with a validation share of 0.2: 1600 training samples.
        Assert.Equal(1600, MemoryEstimate.For(Small(batch: 100_000)).BatchSize);
    }

    [Fact]
    public void Stored_minima_take_a_copy_of_the_weights_each_on_the_device_and_in_the_trainer()
    {
        var spec = Small(extra: """, "loss_func": { "distance": true, "capture_epochs": [1, 2] }""");
        // On the CPU the device's copies and the trainer's share the memory: two minima, twice each.
        Assert.Equal(4 * 4 * SmallParameters, MemoryEstimate.For(spec).Minima);
        var merged = spec with { LossFunc = spec.LossFunc with { Merge = true } };
        Assert.Equal(3 * 4 * SmallParameters, MemoryEstimate.For(merged).Minima);
        Assert.Equal(0, MemoryEstimate.For(Small()).Minima);
    }

    [Fact]
    public void The_924_million_parameter_mlp_of_the_issue_is_its_weights_gradients_and_one_more_copy_of_its_largest_matrix()
    {
        // The issue's run used 11.6 GB: plain SGD (the default) on fashion_mnist at batch 128.
        var spec = SpecJson.Parse("""{ "dataset": "fashion_mnist", "model": { "name": "mlp", "layer_size": [30000, 30000] }, "batch_size": 128 }""");
        var estimate = MemoryEstimate.For(spec);
        // 784*30000 + 30000 + 30000*30000 + 30000 + 30000*10 + 10
        const long parameters = 923_880_010;
        Assert.Equal(4 * parameters, estimate.Parameters);
        Assert.Equal(4 * parameters, estimate.Gradients);
        Assert.Equal(0, estimate.OptimizerState);
        // 60,000 + 10,000 images of 784 float32 values with int64 labels, and the training split's int64 order.
        Assert.Equal(70_000L * (784 * 4 + 8) + 60_000 * 8, estimate.Dataset);
        // Backward's new gradient of the 30000 x 30000 matrix before it is added into the stored one.
        Assert.Equal(4L * 30000 * 30000, estimate.Temporaries);
        Assert.StartsWith("≈ 11.3 GB: parameters 3.7 GB, gradients 3.7 GB, dataset 221 MB, activations ", estimate.Describe());
        Assert.EndsWith(" at batch 128, batch 403 kB, temporaries 3.6 GB", estimate.Describe());
    }

    [Fact]
    public void Momentum_with_weight_decay_holds_a_momentum_buffer_and_two_copies_of_the_largest_matrix_in_its_step()
    {
        var spec = SpecJson.Parse("""
            { "dataset": "fashion_mnist", "model": { "name": "mlp", "layer_size": [30000, 30000] },
              "optimizer": { "name": "sgd_momentum_wdecay", "regularization": 0.001 }, "batch_size": 128 }
            """);
        var estimate = MemoryEstimate.For(spec);
        Assert.Equal(4L * 923_880_010, estimate.OptimizerState);
        // The step comes after backward has freed the activations: the parts still add up to the peak.
        Assert.Equal(2 * 4L * 30000 * 30000, estimate.Activations + estimate.Batch + estimate.Temporaries);
        Assert.Equal(estimate.Persistent + 2 * 4L * 30000 * 30000, estimate.Total);
    }

    [Fact]
    public void Evaluation_of_a_cnn_counts_the_input_a_3x3_convolution_unfolds_for_500_images()
    {
        var spec = SpecJson.Parse("""{ "dataset": "fashion_mnist", "model": { "name": "cnn", "width": 64, "depth": 2 }, "batch_size": 128 }""");
        var estimate = MemoryEstimate.For(spec);
        // The second 64-channel conv at 28x28: 64 * 3 * 3 values per output position, 784 positions, 500 images.
        long unfolded = 4L * 500 * 64 * 9 * 28 * 28;
        Assert.True(estimate.Activations + estimate.Batch + estimate.Temporaries > unfolded, estimate.Describe());
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1000, "1.0 kB")]
    [InlineData(401_234, "401 kB")]
    [InlineData(3_695_520_040, "3.7 GB")]
    [InlineData(2_200_000_000_000, "2.2 TB")]
    public void Bytes_are_written_in_decimal_units(long bytes, string text) => Assert.Equal(text, MemoryEstimate.Bytes(bytes));
}
