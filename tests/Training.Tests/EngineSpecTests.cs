using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>The engine's spec fields: each bad value is refused against its own dotted path.</summary>
public class EngineSpecTests
{
    private static string[] ErrorsFor(string json, string field)
    {
        var e = Assert.Throws<InvalidSpecException>(() => SpecJson.Parse(json));
        return [.. e.Errors.For(field)];
    }

    [Theory]
    [InlineData("""{"dataset":"mnist","model":"mlp","priority":500}""", "priority", "between -100 and 100")]
    [InlineData("""{"dataset":"mnist","model":"mlp","loss_func":{"distance":true}}""", "loss_func.distance", "needs minima")]
    [InlineData("""{"dataset":"mnist","model":"mlp","loss_func":{"kernel":"cauchy"}}""", "loss_func.kernel", "unknown kernel 'cauchy'")]
    [InlineData("""{"dataset":"mnist","model":"mlp","loss_func":{"width":0}}""", "loss_func.width", "positive")]
    [InlineData("""{"dataset":"mnist","model":"mlp","max_epochs":5,"loss_func":{"capture_epochs":[6]}}""", "loss_func.capture_epochs", "between 1 and max_epochs (5)")]
    [InlineData("""{"dataset":"mnist","model":"mlp","optimizer":{"groups":[{"params":"tail","lr":0.1}]}}""", "optimizer.groups[0].params", "body or head")]
    [InlineData("""{"dataset":"mnist","model":"mlp","optimizer":{"groups":[{"params":"head","lr":-1}]}}""", "optimizer.groups[0].lr", "positive")]
    [InlineData("""{"dataset":"mnist","model":"mlp","optimizer":{"groups":[{"params":"head"},{"params":"head"}]}}""", "optimizer.groups[1].params", "already has an optimizer")]
    [InlineData("""{"dataset":"mnist","model":"mlp","checkpoint":{"keep_best":"happiness"}}""", "checkpoint.keep_best", "unknown metric 'happiness'")]
    [InlineData("""{"dataset":"mnist","model":"mlp","checkpoint":{"every":-1}}""", "checkpoint.every", "zero")]
    [InlineData("""{"dataset":"mnist","model":"mlp","num_gpu":2}""", "num_gpu", "needs device cuda:N")]
    [InlineData("""{"dataset":{"name":"mnist","size":3},"model":"mlp"}""", "dataset.size", "at least 10")]
    [InlineData("""{"dataset":{"name":"hyperspheres","flip":true},"model":"mlp"}""", "dataset.crop_padding", "image datasets")]
    [InlineData("""{"dataset":"cifar10","model":{"name":"mobilenet_v2","width_mult":0}}""", "model.width_mult", "(0, 4]")]
    [InlineData("""{"dataset":"cifar10","model":{"name":"cnn","depth":0}}""", "model.depth", "between 1 and 64")]
    [InlineData("""{"dataset":"hyperspheres","model":"simple_cnn"}""", "model.name", "needs images")]
    [InlineData("""{"dataset":"mnist","model":"mlp","lr_schedule":"cosine_annealing"}""", "lr_schedule.name", "unknown")]
    [InlineData("""{"dataset":"mnist","model":{"name":"cnn","depth":2000000000}}""", "model.depth", "between 1 and 64")]
    [InlineData("""{"dataset":"cifar10","model":{"name":"mobilenet_v2","width_mult":1e300}}""", "model.width_mult", "(0, 4]")]
    [InlineData("""{"dataset":{"name":"hyperspheres","p":65536},"model":{"name":"mlp","layer_size":[65536,65536,65536]}}""", "model.name", "at most 1,000,000,000")]
    [InlineData("""{"dataset":"mnist","model":{"name":"mlp","batch_norm":true},"batch_size":1}""", "batch_size", "at least 2 samples")]
    [InlineData("""{"dataset":"mnist","model":"mlp","max_epochs":30,"loss_func":{"capture_epochs":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}""", "loss_func.capture_epochs", "at most 16 minima")]
    public void Bad_engine_fields_are_refused_where_they_were_entered(string json, string field, string message) =>
        Assert.Contains(ErrorsFor(json, field), m => m.Contains(message));

    [Fact]
    public void The_notes_configs_with_the_engine_fields_load()
    {
        var spec = SpecJson.Parse("""
            {"dataset":"cifar10","model":"resnet34",
             "loss_func": {"name":"softmax_loss", "distance":true, "factor":1, "width":1, "kernel":"tanh", "capture_epochs":[50], "merge":true},
             "optimizer":{"name":"sgd_momentum_wdecay", "lr":1e-3, "regularization":0.001},
             "lr_schedule": {"name":"step", "step_size":50, "gamma":0.1},
             "acc_func":{"name":"softmax_accuracy"}, "batch_size":128, "max_epochs":100}
            """);
        Assert.Equal("tanh", spec.LossFunc.Kernel);
        Assert.Equal("step", spec.LrSchedule.Name);
        // A stored spec carries every default, and reads back the same.
        Assert.Equal(SpecJson.Serialize(spec), SpecJson.Serialize(SpecJson.Parse(SpecJson.Serialize(spec))));
    }
}
