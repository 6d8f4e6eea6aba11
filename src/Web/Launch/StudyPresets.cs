using Dashboard.Training.Specs;

namespace Dashboard.Web.Launch;

/// <summary>
/// One of the notes' studies as a filled-in new-experiment form (/experiments/new?preset=NAME), to be changed before
/// launch. A study of several arms (the batch-size study's decay and growth) launches one run per arm from the form,
/// each arm setting its own part, and opens them in compare on <see cref="CompareAxis"/>.
/// </summary>
public sealed record StudyPreset(string Name, string Title, string Description, ExperimentSpec Spec)
{
    public IReadOnlyList<StudyArm> Arms { get; init; } = [];
    /// <summary>The x-axis the arms are compared on.</summary>
    public string CompareAxis { get; init; } = "step";
}

/// <summary>An arm of a study: what it sets on the form's spec.</summary>
public sealed record StudyArm(string Name, string Label, Func<ExperimentSpec, ExperimentSpec> Apply);

/// <summary>The notes' studies (DESIGN.md; shared/research-notes), with their values where the notes give them.</summary>
public static class StudyPresets
{
    // Notebook 004's cifar10_1 config: ResNet-34 on CIFAR-10, sgd_momentum_wdecay at lr 1e-3, batch 128, 100 epochs.
    private static readonly ExperimentSpec Cifar10Resnet = new()
    {
        Name = "cifar10",
        Dataset = new DatasetSpec { Name = "cifar10" },
        Model = new ModelSpec { Name = "resnet34" },
        LossFunc = new LossSpec { Factor = 1, Width = 1 },
        Optimizer = new OptimizerSpec { Name = "sgd_momentum_wdecay", Lr = 1e-3, Regularization = 0.001 },
        BatchSize = 128,
        MaxEpochs = 100,
        Checkpoint = new CheckpointSpec { Every = 10 },
    };

    public static readonly IReadOnlyList<StudyPreset> All =
    [
        new("batch_size", "Batch size vs learning rate: decay against growth (notebook 003)",
            "The notes' reproduction of \"don't decay the learning rate, increase the batch size\": the simple CNN, plain SGD " +
            "at lr 0.1 and batch 128, 100 epochs, on CIFAR-10 (the paper's data set). Two arms from the fields below: decay " +
            "(lr × 0.9 per epoch at batch 128) and growth (batch 128 × 1.037 per epoch up to 4526, a tenth of the training " +
            "set, at lr 0.1), launched together and compared on parameter updates. The last partial batch is dropped: a few " +
            "samples at lr 0.1 spike the loss.",
            new ExperimentSpec
            {
                Name = "bsz",
                Dataset = new DatasetSpec { Name = "cifar10" },
                Model = new ModelSpec { Name = "simple_cnn" },
                Optimizer = new OptimizerSpec { Name = "sgd", Lr = 0.1 },
                BatchSize = 128,
                LrSchedule = new LrScheduleSpec { Name = "exponential", Gamma = 0.9 },
                BatchSchedule = new BatchScheduleSpec { DropLast = true },
                MaxEpochs = 100,
            })
        {
            Arms =
            [
                new("decay", "decay: lr × 0.9 per epoch, batch constant",
                    s => s with { LrSchedule = new LrScheduleSpec { Name = "exponential", Gamma = 0.9 }, BatchSchedule = new BatchScheduleSpec { DropLast = s.BatchSchedule.DropLast } }),
                new("growth", "growth: batch × 1.037 per epoch up to 4526, lr constant",
                    s => s with { LrSchedule = new LrScheduleSpec(), BatchSchedule = new BatchScheduleSpec { Name = "exponential", Growth = 1.037, Max = 4526, DropLast = s.BatchSchedule.DropLast } }),
            ],
            CompareAxis = "updates",
        },
        new("scaling", "Scaling laws: width × dataset size × seeds (notebook 002)",
            "The notes' grid for L(N) and L(D): the CNN at widths 8 to 128 (depth 2) on Fashion-MNIST subsets of 6,250 to 50,000, " +
            "two seeds, 100 epochs at batch 512: 40 runs. Open the sweep's Scaling law page once they are done.",
            new ExperimentSpec
            {
                Name = "scaling",
                Dataset = new DatasetSpec { Name = "fashion_mnist" },
                Model = new ModelSpec { Name = "cnn", Depth = 2 },
                BatchSize = 512,
                MaxEpochs = 100,
                Sweep = Grid(("model.width", "[8, 16, 32, 64, 128]"), ("dataset.size", "[6250, 12500, 25000, 50000]"), ("seed", "[0, 1]")),
            }),
        new("runtime", "Runtime: batch size × dataset size on hyperspheres (notebooks 000, 001)",
            "The notes' reduction network on 128-dimensional hyperspheres of intrinsic dimension 5, at n = 2,000 and 20,000 and " +
            "batch sizes 50 to 500, 50 epochs: 8 runs. Open the sweep's Runtime page for epoch time and speed-up.",
            new ExperimentSpec
            {
                Name = "hps",
                Dataset = new DatasetSpec { N = 2000, P = 128, D = 5 },
                Model = new ModelSpec { LayerSize = [128, 64], ActFuncs = ["relu", "relu"], OutputDim = 5 },
                BatchSize = 50,
                MaxEpochs = 50,
                Sweep = Grid(("batch_size", "[50, 128, 256, 500]"), ("dataset.n", "[2000, 20000]")),
            }),
        new("distance", "Distance regulariser: capture, then keep away (notebook 004)",
            "The notes' mnist1 config (the MLP, sgd_momentum_wdecay at lr 1e-2, regularization 0.001, batch 128, 20 epochs) with " +
            "the RBF distance term on: the weights after epoch 10 are captured as a minimum and the last 10 epochs keep away " +
            "from it. Its run page lists the minimum; Keep away there starts a run that keeps away from it from the start.",
            new ExperimentSpec
            {
                Name = "mnist",
                Dataset = new DatasetSpec { Name = "mnist" },
                Model = new ModelSpec { LayerSize = [256, 128, 100], ActFuncs = ["relu", "relu", "relu"] },
                LossFunc = new LossSpec { Distance = true, Factor = 0.001, Kernel = "rbf", Width = 1, CaptureEpochs = [10] },
                Optimizer = new OptimizerSpec { Name = "sgd_momentum_wdecay", Lr = 1e-2, Regularization = 0.001 },
                BatchSize = 128,
                MaxEpochs = 20,
            }),
        new("step_schedule", "Step schedule: lr × 0.1 every 50 epochs (notebook 004)",
            "The notes' cifar10_1 config (ResNet-34 on CIFAR-10, sgd_momentum_wdecay at lr 1e-3, 100 epochs) with the learning " +
            "rate dropped by 0.1 every 50 epochs. Turn the distance term on and name minima to repeat the distance runs.",
            Cifar10Resnet with { LrSchedule = new LrScheduleSpec { Name = "step", StepSize = 50, Gamma = 0.1 } }),
        new("cosine_restarts", "Cosine with warm restarts (notebook 004)",
            "The notes' cifar10_1 config with cosine annealing and a warm restart every 50 epochs in place of the step schedule " +
            "(\"cosine decay mit warm restart statt mein scheduler\").",
            Cifar10Resnet with { LrSchedule = new LrScheduleSpec { Name = "cosine_warm_restarts", T0 = 50, TMult = 1 } }),
    ];

    public static StudyPreset? Find(string? name) => All.FirstOrDefault(p => p.Name == name);

    private static SweepSpec Grid(params (string Key, string Values)[] parameters) => new()
    {
        Method = "grid",
        Parameters = parameters.ToDictionary(p => p.Key, p => System.Text.Json.JsonDocument.Parse(p.Values).RootElement.Clone()),
    };
}
