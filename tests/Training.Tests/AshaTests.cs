using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class AshaTests
{
    private static readonly AshaSpec Spec = new() { Metric = "val_loss", MinEpochs = 1, ReductionFactor = 3, MaxEpochs = 27 };

    /// <summary>Runs with one value each at one rung's epoch, stored in the order given (Order 1, 2, ...).</summary>
    private static Dictionary<string, IReadOnlyList<EpochValue>> AtEpoch(int epoch, params (string Run, double Value)[] values) =>
        values.Select((v, i) => (v.Run, Point: new EpochValue(epoch, v.Value, i + 1)))
              .ToDictionary(x => x.Run, x => (IReadOnlyList<EpochValue>)[x.Point]);

    /// <summary>
    /// 27 runs with learning curves value(epoch) = final + c/epoch, c within 0.01 of the others' and the finals 0.02
    /// apart: the ranking at epoch 1 is the ranking at the end. Each step advances one run, picked at random among those
    /// still training, by an epoch; the run's value is stored and ASHA asked, as the job layer will.
    /// </summary>
    private static (Dictionary<string, IReadOnlyList<EpochValue>> Stored, Dictionary<string, AshaDecision> Stopped, string[] ByFinal, int Epochs) Simulate(int seed)
    {
        var rng = new Random(seed);
        var finals = Enumerable.Range(0, 27).Select(i => 0.1 + 0.02 * i).OrderBy(_ => rng.Next()).ToArray();
        var c = finals.Select(_ => 0.5 + 0.01 * rng.NextDouble()).ToArray();
        var ids = finals.Select((_, i) => $"run{i:D2}").ToArray();
        var stored = ids.ToDictionary(id => id, _ => new List<EpochValue>());
        var view = stored.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<EpochValue>)kv.Value);
        var epoch = new int[27];
        var stopped = new Dictionary<string, AshaDecision>();
        var active = Enumerable.Range(0, 27).ToList();
        long order = 0;
        int spent = 0;
        while (active.Count > 0)
        {
            int i = active[rng.Next(active.Count)];
            epoch[i]++;
            spent++;
            stored[ids[i]].Add(new EpochValue(epoch[i], finals[i] + c[i] / epoch[i], ++order));
            if (Asha.Decide(Spec, view, ids[i]) is { Stop: true } d) { stopped[ids[i]] = d; active.Remove(i); }
            else if (epoch[i] == Spec.MaxEpochs) active.Remove(i);
        }
        return (view, stopped, ids.Zip(finals).OrderBy(x => x.Second).Select(x => x.First).ToArray(), spent);
    }

    [Fact]
    public void Asynchronous_halving_keeps_the_best_run_to_the_end_and_stops_most_others_at_the_first_rung()
    {
        var stoppedAtFirst = new List<int>();
        for (int seed = 1; seed <= 40; seed++)
        {
            var (stored, stopped, byFinal, spent) = Simulate(seed);
            var best = byFinal[0];
            Assert.DoesNotContain(best, stopped.Keys);
            Assert.Equal(Spec.MaxEpochs, stored[best].Max(v => v.Epoch));
            // It was judged at every rung on the way, and continued at each.
            Assert.Equal(Spec.RungEpochs.Count, Asha.Rungs(Spec, stored).Count(r => r.Continued.Any(d => d.RunId == best)));
            // Every stop is at a rung's epoch, and the stopped runs trained no further (the decision came at once here).
            Assert.All(stopped.Values, d => Assert.Contains(d.Epoch, Spec.RungEpochs));
            Assert.All(stopped, kv => Assert.Equal(kv.Value.Epoch, stored[kv.Key].Max(v => v.Epoch)));
            // Far less than the 27 x 27 epochs of training every run to the end.
            Assert.True(spent < 27 * 27 / 3, $"seed {seed}: {spent} epochs");
            stoppedAtFirst.Add(stopped.Values.Count(d => d.Rung == 0 && d.Epoch == 1));
        }
        // Deciding at arrival depends on the order of arrival: runs that reach the rung before the better ones continue
        // (in the extreme, runs arriving from worst to best all continue). Over 40 shuffles at least half of the 26
        // others stop at the first rung in all but a few, and typically two thirds do.
        stoppedAtFirst.Sort();
        Assert.True(stoppedAtFirst.Count(n => n >= 13) >= 36, string.Join(", ", stoppedAtFirst));
        Assert.True(stoppedAtFirst[20] >= 15, string.Join(", ", stoppedAtFirst));
    }

    [Fact]
    public void A_decision_is_the_same_when_recomputed_from_the_stored_values_after_more_runs_arrived()
    {
        var (stored, stopped, _, _) = Simulate(7);
        // Every decision made during the sweep is what the full stored history gives for that run (a restart after the end).
        foreach (var (run, decision) in stopped) Assert.Equal(decision, Asha.Decide(Spec, stored, run));
        var summary = Asha.Rungs(Spec, stored);
        Assert.Equal(stopped.Count, summary.Sum(r => r.Stopped.Count()));

        // A run judged against two earlier ones is not judged again when better runs reach the rung after it.
        var early = AtEpoch(1, ("a", 0.2), ("b", 0.3), ("c", 0.25));
        var before = Asha.Decide(Spec, early, "c");
        Assert.NotNull(before);
        Assert.True(before.Stop);
        var later = new Dictionary<string, IReadOnlyList<EpochValue>>(early.Reverse())
        {
            ["d"] = [new EpochValue(1, 0.1, 10)], ["e"] = [new EpochValue(1, 0.9, 11)], ["f"] = [new EpochValue(1, 0.8, 12)],
        };
        Assert.Equal(before, Asha.Decide(Spec, later, "c"));
        // ... and a value stored again for the same epoch (a resumed run repeats it) changes nothing either.
        later["c"] = [new EpochValue(1, 0.25, 3), new EpochValue(1, 0.01, 20)];
        Assert.Equal(before, Asha.Decide(Spec, later, "c"));
    }

    [Fact]
    public void The_reason_names_the_metric_the_value_the_share_the_runs_and_the_cut_off()
    {
        // Seven runs at rung 1 (epoch 3): the top floor(7/3) = 2 continue; the cut-off is the second best, 0.41.
        var values = new (string, double)[] { ("a", 0.3), ("b", 0.41), ("c", 0.6), ("d", 0.7), ("e", 0.45), ("f", 0.8), ("g", 0.52) };
        var stored = values.Select((v, i) => (v.Item1, Points: (IReadOnlyList<EpochValue>)[new EpochValue(1, v.Item2 + 1, i), new EpochValue(3, v.Item2, 100 + i)]))
                           .ToDictionary(x => x.Item1, x => x.Points);
        // At rung 0 the same order: a, b continue (fewer than 3), c stops (0.6 + 1 is not the best of three) ...
        var g = Asha.Decide(Spec, stored, "g")!;
        Assert.Equal(0, g.Rung);
        Assert.True(g.Stop);
        // ... so rung 1 sees only the ones rung 0 kept; judge rung 1 on its own by giving every run a good first rung.
        stored = values.Select((v, i) => (v.Item1, Points: (IReadOnlyList<EpochValue>)[new EpochValue(1, 0.1, 0), new EpochValue(3, v.Item2, 100 + i)]))
                       .ToDictionary(x => x.Item1, x => x.Points);
        var d = Asha.Decide(Spec, stored, "g")!;
        Assert.True(d.Stop);
        Assert.Equal((1, 3, 3, 7, 2, (double?)0.41), (d.Rung, d.RungEpoch, d.Epoch, d.RunsAtRung, d.Kept, d.Cutoff));
        Assert.Equal("val_loss 0.52 not in the top 1/3 (2 of 7 runs) at rung 1 (cut-off 0.41)", d.Reason);
        Assert.Equal("stopped early at epoch 3 (rung 1)", d.StoppedText);
        Assert.False(Asha.Decide(Spec, stored, "b")!.Stop); // 0.41 was the best two of b's time (a, b)
        Assert.Equal(1, Asha.Decide(Spec, stored, "e")!.Rung);

        var rung1 = Asha.Rungs(Spec, stored)[1];
        Assert.Equal(["a", "b", "c", "d", "e", "f", "g"], rung1.Runs.Select(r => r.RunId));
        // a, b: fewer than three; c (0.6 among 0.3, 0.41, 0.6): 1 kept, stops; d: stops; e (0.45, n=5, 1 kept) stops;
        // f (n=6, 2 kept, cut-off 0.41) stops; g stops.
        Assert.Equal(["a", "b"], rung1.Continued.Select(r => r.RunId));
        Assert.Contains("fewer than 3 to compare", rung1.Runs[1].Reason);
        Assert.Empty(Asha.Rungs(Spec, stored)[2].Runs);
    }

    [Fact]
    public void Mode_max_keeps_the_highest_values()
    {
        var spec = Spec with { Metric = "val_accuracy" };
        Assert.True(spec.Maximise); // from the metric catalogue, as checkpoint.mode
        var stored = AtEpoch(1, ("a", 0.5), ("b", 0.6), ("c", 0.9), ("d", 0.4), ("e", 0.95), ("f", 0.7));
        // c: n=3, 1 kept, the best (0.9) continues; d (0.4) stops; e (0.95) continues; f: n=6, 2 kept (0.95, 0.9): stops.
        Assert.Equal([false, false, false, true, false, true], stored.Keys.Select(k => Asha.Decide(spec, stored, k)!.Stop));
        Assert.Equal(0.9, Asha.Decide(spec, stored, "f")!.Cutoff);
        // The same values read as losses keep the lowest instead.
        Assert.Equal([false, false, true, false, true, true], stored.Keys.Select(k => Asha.Decide(spec with { Mode = "min" }, stored, k)!.Stop));
    }

    [Fact]
    public void Not_finite_values_count_as_the_worst()
    {
        var stored = AtEpoch(1, ("a", double.NaN), ("b", double.PositiveInfinity), ("c", 5.0), ("d", double.NaN), ("e", double.NegativeInfinity));
        var decisions = stored.Keys.ToDictionary(k => k, k => Asha.Decide(Spec, stored, k)!);
        // c, the only finite value, is the top 1 of three even though it is large.
        Assert.False(decisions["c"].Stop);
        Assert.Equal(5.0, decisions["c"].Cutoff);
        // A value that is not finite never continues once there are three to compare; -Inf is no "best loss".
        Assert.True(decisions["d"].Stop);
        Assert.True(decisions["e"].Stop);
        Assert.Contains("val_loss NaN not in the top", decisions["d"].Reason);
        // Maximising, a NaN is still the worst, not the largest.
        var accuracy = AtEpoch(1, ("a", double.NaN), ("b", 0.1), ("c", 0.2), ("d", double.PositiveInfinity));
        Assert.True(Asha.Decide(Spec with { Mode = "max" }, accuracy, "d")!.Stop);
        Assert.False(Asha.Decide(Spec with { Mode = "max" }, accuracy, "c")!.Stop);
    }

    [Fact]
    public void Fewer_than_eta_runs_at_a_rung_continue_however_bad()
    {
        var stored = AtEpoch(1, ("a", 0.1), ("b", 9.0));
        var b = Asha.Decide(Spec, stored, "b")!;
        Assert.False(b.Stop);
        Assert.Null(b.Cutoff);
        Assert.Equal("val_loss 9: 2 runs at rung 0, fewer than 3 to compare; continues", b.Reason);
        // With eta 5 even the fourth continues; the fifth is judged (top 1 of 5).
        var eta5 = Spec with { ReductionFactor = 5, MaxEpochs = 25 };
        stored = AtEpoch(1, ("a", 0.1), ("b", 9.0), ("c", 8.0), ("d", 7.0), ("e", 6.0));
        Assert.Equal([false, false, false, false, true], stored.Keys.Select(k => Asha.Decide(eta5, stored, k)!.Stop));
        // Values stored at the same moment are judged together: three at once, one kept.
        var together = new Dictionary<string, IReadOnlyList<EpochValue>>
        {
            ["x"] = [new EpochValue(1, 0.3, 1)], ["y"] = [new EpochValue(1, 0.2, 1)], ["z"] = [new EpochValue(1, 0.4, 1)],
        };
        Assert.Equal([true, false, true], together.Keys.Select(k => Asha.Decide(Spec, together, k)!.Stop));
    }

    [Fact]
    public void A_run_before_the_first_rung_has_no_decision_and_the_last_rung_stops_no_one()
    {
        var spec = Spec with { MinEpochs = 2, MaxEpochs = 18 };
        Assert.Equal([2, 6, 18], spec.RungEpochs);
        Assert.Equal([1, 3, 9], (Spec with { MaxEpochs = 26 }).RungEpochs);
        Assert.Null(Asha.Decide(spec, AtEpoch(1, ("a", 0.1)), "a"));
        // Three runs reach epoch 18 (the last rung) with the worst one last: it completes like the others.
        var stored = new[] { ("a", 0.1), ("b", 0.2), ("c", 0.9) }.Select((v, i) => (v.Item1, Points: (IReadOnlyList<EpochValue>)
            [new EpochValue(2, 0.1, i), new EpochValue(6, 0.1, 10 + i), new EpochValue(18, v.Item2, 20 + i)])).ToDictionary(x => x.Item1, x => x.Points);
        var c = Asha.Decide(spec, stored, "c")!;
        Assert.False(c.Stop);
        Assert.Equal(2, c.Rung);
        Assert.Contains("reached max_epochs", c.Reason);
        Assert.True(Asha.Rungs(spec, stored)[2].Last);
        // A value stored only every other epoch: the run reaches the rung at epoch 3 with the first value at or after it.
        var sparse = new Dictionary<string, IReadOnlyList<EpochValue>> { ["a"] = [new EpochValue(1, 0.5, 1), new EpochValue(3, 0.4, 2), new EpochValue(7, 0.3, 3)] };
        Assert.Equal(7, Asha.Decide(spec, sparse, "a")!.Epoch);
    }

    [Fact]
    public void A_bad_early_stop_block_is_refused_field_by_field()
    {
        var errors = new SpecErrors();
        new AshaSpec { Type = "hyperband", Metric = "val_los", Mode = "low", MinEpochs = 0, ReductionFactor = 1, MaxEpochs = 0 }.Validate("sweep.early_stop", errors);
        Assert.Equal(["sweep.early_stop.type", "sweep.early_stop.metric", "sweep.early_stop.mode", "sweep.early_stop.min_epochs",
            "sweep.early_stop.reduction_factor", "sweep.early_stop.max_epochs"], errors.Fields);
        var spec = System.Text.Json.JsonSerializer.Deserialize<AshaSpec>(
            """{"type": "asha", "metric": "val_accuracy", "min_epochs": 1, "reduction_factor": 3, "max_epochs": 9}""", SpecJson.Options)!;
        Assert.True(spec.Maximise);
        Assert.Equal([1, 3, 9], spec.RungEpochs);
        Assert.Throws<InvalidSpecException>(() => Asha.Rungs(Spec with { MaxEpochs = 1 }, AtEpoch(1, ("a", 0.1))));
    }
}
