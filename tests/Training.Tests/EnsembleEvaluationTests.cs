using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

/// <summary>Ensembles of checkpoints trained here, evaluated through the real shim on hyperspheres.</summary>
public sealed class EnsembleEvaluationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-ensemble-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Quiet : ITrainingSink
    {
        public void Log(IReadOnlyList<MetricSample> samples) { }
        public void Message(string text) { }
    }

    private static ExperimentSpec Spec(double lr, string layers = "[16]", long seed = 5, int n = 600) => SpecJson.Parse($$"""
        { "name": "ens", "dataset": { "name": "hyperspheres", "n": {{n}}, "p": 12, "d": 3, "classes": 4, "noise": 1.5 },
          "model": { "name": "mlp", "layer_size": {{layers}} }, "optimizer": { "name": "sgd_momentum_wdecay", "lr": {{lr}} },
          "batch_size": 30, "max_epochs": 2, "seed": {{seed}} }
        """);

    /// <summary>Trains a spec with its checkpoints in a folder of its own; its last checkpoint and final figures.</summary>
    private (string Checkpoint, IReadOnlyDictionary<string, double> Final) Train(string name, ExperimentSpec spec)
    {
        var dir = Path.Combine(_dir, name);
        var result = Trainer.Train(spec, Load(spec), new Quiet(), CancellationToken.None, new TrainContext { CheckpointDir = dir });
        Assert.Equal(TrainOutcome.Completed, result.Outcome);
        return (Checkpoints.Latest(dir)!, result.Final);
    }

    private static TrainingData Load(ExperimentSpec spec) => DatasetLoader.Load(spec.Dataset!, spec.Seed, new TrainingOptions());

    private static EnsembleResult Evaluate(params EnsembleInput[] members) =>
        EnsembleEvaluation.Evaluate(members, Load, _ => "cpu", null, CancellationToken.None);

    [Fact]
    public void An_ensemble_of_one_checkpoint_twice_scores_exactly_as_that_checkpoint_which_scores_as_its_run_validated()
    {
        var spec = Spec(0.1);
        var (checkpoint, final) = Train("a", spec);
        var progress = new List<int>();

        var result = EnsembleEvaluation.Evaluate([new("ens/00001", spec, checkpoint), new("ens/00001 again", spec, checkpoint)],
            Load, _ => "cpu", progress.Add, CancellationToken.None);

        Assert.Equal([1, 2], progress);
        Assert.Equal(120, result.Samples);
        Assert.Equal(4, result.Classes);
        Assert.Equal(result.Members[0], result.Members[1]);
        Assert.Equal(result.Members[0], result.Ensemble);
        // The checkpoint read is the run's last: its figures are the trainer's own validation of its last epoch.
        Assert.Equal(final["val_accuracy"], result.Ensemble.Accuracy);
        Assert.Equal(final["val_loss"], result.Ensemble.Loss, 1e-5);
        Assert.Equal(final["val_ap"], result.Ensemble.Ap);
    }

    [Fact]
    public void An_ensemble_of_two_different_runs_scores_differently_from_both_with_a_loss_no_worse_than_their_mean()
    {
        var a = Spec(0.1);
        var b = Spec(0.02, "[32, 8]");
        var (ca, fa) = Train("a", a);
        var (cb, fb) = Train("b", b);

        var result = Evaluate(new("ens/00001", a, ca), new("ens/00002", b, cb));

        Assert.Equal(fa["val_accuracy"], result.Members[0].Accuracy);
        Assert.Equal(fb["val_accuracy"], result.Members[1].Accuracy);
        Assert.NotEqual(result.Members[0], result.Members[1]);
        foreach (var member in result.Members)
        {
            Assert.NotEqual(member.Loss, result.Ensemble.Loss);
            Assert.NotEqual(member.Ap, result.Ensemble.Ap);
        }
        // -log is convex: the log loss of averaged probabilities is at most the mean of the members' (Jensen).
        Assert.True(result.Ensemble.Loss <= result.Members.Average(m => m.Loss),
            $"ensemble {result.Ensemble.Loss} > mean of members {result.Members.Average(m => m.Loss)}");
        Assert.InRange(result.Ensemble.Accuracy, 0, 1);
        Assert.InRange(result.Ensemble.Ap, 0, 1);
    }

    [Fact]
    public void Runs_on_different_validation_sets_are_refused_naming_the_run_and_why()
    {
        var a = Spec(0.1);
        var (ca, _) = Train("a", a);
        var otherSeed = Spec(0.1, seed: 6);
        var (cs, _) = Train("s", otherSeed);
        var otherSize = Spec(0.1, n: 800);

        var seed = Assert.Throws<EnsembleRefusedException>(() => Evaluate(new("ens/00001", a, ca), new("ens/00002", otherSeed, cs)));
        Assert.Equal("ens/00002 has seed 6 and ens/00001 seed 5: hyperspheres are generated from the run's seed, so their validation sets differ", seed.Message);
        var size = Assert.Throws<EnsembleRefusedException>(() => Evaluate(new("ens/00001", a, ca), new("ens/00003", otherSize, ca)));
        Assert.StartsWith("ens/00003's hyperspheres (n=800, ", size.Message);
        var image = Spec(0.1) with { Dataset = new DatasetSpec { Name = "fashion_mnist" } };
        var dataset = Assert.Throws<EnsembleRefusedException>(() => Evaluate(new("ens/00001", a, ca), new("fm/00001", image, ca)));
        Assert.Equal("fm/00001 trains on fashion_mnist and ens/00001 on hyperspheres: an ensemble's runs must share their validation set", dataset.Message);
    }

    [Fact]
    public void A_missing_checkpoint_and_a_lone_run_are_refused()
    {
        var a = Spec(0.1);
        var (ca, _) = Train("a", a);
        var gone = Path.Combine(_dir, "gone", "epoch-0002.pt");

        var missing = Assert.Throws<EnsembleRefusedException>(() => Evaluate(new("ens/00001", a, ca), new("ens/00002", a, gone)));
        Assert.Equal($"ens/00002 has no checkpoint epoch-0002.pt in {Path.Combine(_dir, "gone")}", missing.Message);
        var lone = Assert.Throws<EnsembleRefusedException>(() => Evaluate(new EnsembleInput("ens/00001", a, ca)));
        Assert.Equal("an ensemble needs at least 2 runs, got 1", lone.Message);
    }

    [Fact]
    public void A_checkpoint_of_another_model_is_refused_naming_the_run()
    {
        var a = Spec(0.1);
        var (ca, _) = Train("a", a);
        var (cb, _) = Train("b", Spec(0.1, "[8]"));

        // b's spec claims a's model: its weights do not fit.
        var refused = Assert.Throws<EnsembleRefusedException>(() => Evaluate(new("ens/00001", a, ca), new("ens/00002", a, cb)));
        Assert.StartsWith("ens/00002's checkpoint epoch-0002.pt does not fit its model: ", refused.Message);
    }
}
