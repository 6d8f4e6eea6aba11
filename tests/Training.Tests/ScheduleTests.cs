using System.Text.Json;
using System.Text.Json.Serialization;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;

namespace Dashboard.Training.Tests;

public class ScheduleTests
{
    // ---- Expected values, pasted from Reference/schedules_reference.py (run with /usr/bin/python3). ----
    // The lr in force during epoch e (0-based), stepping the torch scheduler once per epoch; the *Frac arrays
    // hold CosineAnnealingWarmRestarts.step(epoch + i / 4) for i = 0..3 of every epoch, in order.
    // torch 1.13.0a0, base lr 0.1
    private static readonly double[] Step3Half = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125];
    private static readonly int[] Step50Epochs = [0, 1, 48, 49, 50, 51, 99, 100, 101, 119];
    private static readonly double[] Step50 = [0.1, 0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002];
    private static readonly double[] Exp09 = [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001, 0.028242953648100012, 0.025418658283290013, 0.022876792454961013, 0.020589113209464913, 0.01853020188851842, 0.01667718169966658, 0.015009463529699923, 0.013508517176729932];
    private static readonly double[] Cos10 = [0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001, 0.0034227024433899004, 0.01045365877844014, 0.02140463001152267, 0.035203658778440255, 0.05050000000000022, 0.06579634122156018, 0.07959536998847777, 0.09054634122156031, 0.09757729755661054, 0.10000000000000045, 0.09757729755661054, 0.09054634122156033, 0.07959536998847778, 0.0657963412215602];
    private static readonly double[] Warm5 = [0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633, 0.1, 0.09045084971874738, 0.06545084971874737, 0.03454915028125263, 0.009549150281252633];
    private static readonly double[] Warm3x2 = [0.1, 0.0775, 0.032500000000000015, 0.1, 0.09397114317029975, 0.0775, 0.05500000000000001, 0.032500000000000015, 0.01602885682970026, 0.1, 0.09846666218300808, 0.09397114317029975, 0.08681980515339464, 0.0775, 0.06664685702961344, 0.05500000000000001, 0.04335314297038658, 0.032500000000000015, 0.023180194846605363, 0.01602885682970026, 0.011533337816991932, 0.1, 0.09961501876182148, 0.09846666218300808, 0.0965745789630079, 0.09397114317029975, 0.09070090031310558, 0.08681980515339464, 0.08239426430539243, 0.0775];
    private static readonly double[] Warm3x2Frac = [0.1, 0.09846666218300808, 0.09397114317029975, 0.08681980515339464, 0.0775, 0.06664685702961344, 0.05500000000000001, 0.04335314297038658, 0.032500000000000015, 0.023180194846605363, 0.01602885682970026, 0.011533337816991932, 0.1, 0.09961501876182148, 0.09846666218300808, 0.0965745789630079, 0.09397114317029975, 0.09070090031310558, 0.08681980515339464, 0.08239426430539243, 0.0775, 0.07222075445642905, 0.06664685702961344, 0.06087367864990234, 0.05500000000000001, 0.04912632135009769, 0.04335314297038658, 0.037779245543570976, 0.032500000000000015, 0.027605735694607572, 0.023180194846605363, 0.019299099686894423, 0.01602885682970026, 0.013425421036992097, 0.011533337816991932, 0.010384981238178534, 0.1, 0.09990365154573716, 0.09961501876182148, 0.09913533761814537];
    private static readonly double[] Warm5Frac = [0.1, 0.0993844170297569, 0.09755282581475769, 0.09455032620941839, 0.09045084971874738, 0.08535533905932738, 0.07938926261462366, 0.07269952498697733, 0.06545084971874737, 0.05782172325201155, 0.05, 0.04217827674798847, 0.03454915028125263, 0.027300475013022664, 0.02061073738537635, 0.014644660940672627, 0.009549150281252633, 0.005449673790581611, 0.0024471741852423235, 0.0006155829702431171, 0.1, 0.0993844170297569, 0.09755282581475769, 0.09455032620941839, 0.09045084971874738, 0.08535533905932738, 0.07938926261462366, 0.07269952498697733, 0.06545084971874737, 0.05782172325201155, 0.05, 0.04217827674798847, 0.03454915028125263, 0.027300475013022664, 0.02061073738537635, 0.014644660940672627, 0.009549150281252633, 0.005449673790581611, 0.0024471741852423235, 0.0006155829702431171];
    private static readonly double[] WarmupCos = [0.001, 0.034, 0.067, 0.1, 0.09698463103929543, 0.08830222215594889, 0.075, 0.058682408883346526, 0.041317591116653486, 0.025000000000000012, 0.011697777844051105, 0.0030153689607045845];
    // CosineAnnealingWarmRestarts(T_0=1, T_mult=3): step(121) -> lr 0.0 (the log gives 4.999999999999999); 121 calls of step() -> lr 0.1
    private const int BatchCapFirstEpoch = 99;
    private static readonly int[] Batch128 = [128, 132, 137, 142, 148, 153, 159, 165, 171, 177, 184, 190, 197, 205, 212, 220, 228, 237, 246, 255, 264, 274, 284, 295, 306, 317, 329, 341, 354, 367, 380, 394, 409, 424, 440, 456, 473, 490, 509, 527, 547, 567, 588, 610, 633, 656, 680, 706, 732, 759, 787, 816, 846, 877, 910, 944, 979, 1015, 1052, 1091, 1132, 1174, 1217, 1262, 1309, 1357, 1408, 1460, 1514, 1570, 1628, 1688, 1750, 1815, 1882, 1952, 2024, 2099, 2177, 2258, 2341, 2428, 2518, 2611, 2707, 2808, 2911, 3019, 3131, 3247, 3367, 3492, 3621, 3755, 3894, 4038, 4187, 4342, 4503, 4526, 4526];

    private const double Base = 0.1;

    // StepLR and CosineAnnealingWarmRestarts agree bit for bit. ExponentialLR, CosineAnnealingLR and LinearLR are
    // stepped recursively in PyTorch (lr * factor each epoch) and drift from the closed form in the last bits.
    private static void Close(double expected, double actual, string where)
    {
        var tol = 1e-9 * Math.Max(Math.Abs(expected), Math.Abs(actual)) + 1e-15;
        Assert.True(Math.Abs(expected - actual) <= tol, $"{where}: expected {expected:R}, got {actual:R}");
    }

    private static double Lr(LrScheduleSpec s, int epoch, long step = 0, long steps = 10, int maxEpochs = 100) =>
        Schedules.LearningRate(s, Base, epoch, step, steps, maxEpochs);

    private static void PerEpochMatches(double[] expected, LrScheduleSpec s, int maxEpochs, int[]? epochs = null)
    {
        epochs ??= Enumerable.Range(0, expected.Length).ToArray();
        Assert.Equal(expected.Length, epochs.Length);
        for (var k = 0; k < epochs.Length; k++)
            Close(expected[k], Lr(s, epochs[k], maxEpochs: maxEpochs), $"epoch {epochs[k]}");
    }

    // ---- Learning rate against PyTorch ----

    [Fact]
    public void Step_matches_StepLR_3_half()
        => PerEpochMatches(Step3Half, new() { Name = "step", StepSize = 3, Gamma = 0.5 }, 12);

    [Fact]
    public void Step_matches_StepLR_50_tenth_around_the_drops()
        => PerEpochMatches(Step50, new() { Name = "step", StepSize = 50, Gamma = 0.1 }, 120, Step50Epochs);

    [Fact]
    public void Exponential_matches_ExponentialLR()
        => PerEpochMatches(Exp09, new() { Name = "exponential", Gamma = 0.9 }, 20);

    [Fact]
    public void Cosine_matches_CosineAnnealingLR_also_past_t_max()
    {
        // 25 epochs with T_max = 10: PyTorch climbs back to base at 2 * T_max, and so do we.
        PerEpochMatches(Cos10, new() { Name = "cosine", TMax = 10, EtaMin = 0.001 }, 25);
        Close(0.001, Lr(new() { Name = "cosine", TMax = 10, EtaMin = 0.001 }, 10), "eta_min at T_max");
    }

    [Fact]
    public void Cosine_without_t_max_runs_over_the_epochs_after_the_warm_up()
    {
        var s = new LrScheduleSpec { Name = "cosine" };
        Close(Base, Lr(s, 0, maxEpochs: 20), "start");
        Close(Base / 2, Lr(s, 10, maxEpochs: 20), "half way");
        Close(0, Lr(s with { PerStep = true }, 19, 10, 10, maxEpochs: 20), "end");
    }

    [Fact]
    public void Warm_restarts_match_CosineAnnealingWarmRestarts_t0_5()
        => PerEpochMatches(Warm5, new() { Name = "cosine_warm_restarts", T0 = 5, TMult = 1, EtaMin = 0 }, 20);

    [Fact]
    public void Warm_restarts_match_CosineAnnealingWarmRestarts_t0_3_tmult_2()
        => PerEpochMatches(Warm3x2, new() { Name = "cosine_warm_restarts", T0 = 3, TMult = 2, EtaMin = 0.01 }, 30);

    [Theory]
    [InlineData(5, 1, 0.0)]
    [InlineData(3, 2, 0.01)]
    public void Warm_restarts_per_step_match_step_with_fractional_epochs(int t0, int tMult, double etaMin)
    {
        var expected = t0 == 5 ? Warm5Frac : Warm3x2Frac;
        var s = new LrScheduleSpec { Name = "cosine_warm_restarts", T0 = t0, TMult = tMult, EtaMin = etaMin, PerStep = true };
        for (var epoch = 0; epoch < 10; epoch++)
            for (var i = 0; i < 4; i++)
                Close(expected[epoch * 4 + i], Lr(s, epoch, i, 4, 10), $"epoch {epoch} + {i}/4");
    }

    [Fact]
    public void Warm_restarts_restart_where_pytorchs_logarithm_rounds_down()
    {
        // T_0 = 1, T_mult = 3: a restart at 1 + 3 + 9 + 27 + 81 = 121. PyTorch's step(121) gives 0.0 here (its
        // log base 3 of 243 is 4.999999999999999); 121 calls of step() give base, as we do.
        var s = new LrScheduleSpec { Name = "cosine_warm_restarts", T0 = 1, TMult = 3 };
        Close(Base, Lr(s, 121, maxEpochs: 200), "restart at 121");
        Close(Base, Lr(s with { PerStep = true }, 121, 0, 7, 200), "restart at 121, per step");
        Assert.Equal((0.0, 243.0), Schedules.WarmRestartPosition(121, 1, 3));
        Assert.Equal((120.5, 243.0), Schedules.WarmRestartPosition(241.5, 1, 3));
        Assert.Equal((0.0, 729.0), Schedules.WarmRestartPosition(364, 1, 3));
    }

    [Fact]
    public void Warm_up_then_cosine_matches_LinearLR_then_CosineAnnealingLR_in_SequentialLR()
    {
        // SequentialLR([LinearLR(0.01, total_iters=3), CosineAnnealingLR(T_max=9)], milestones=[3]), 12 epochs:
        // at epoch boundaries our warm-up (3 epochs) followed by cosine with t_max = max_epochs - warmup_epochs.
        var s = new LrScheduleSpec { Name = "cosine", WarmupEpochs = 3, WarmupStartFactor = 0.01 };
        PerEpochMatches(WarmupCos, s, 12);
        PerEpochMatches(WarmupCos, s with { PerStep = true }, 12);
    }

    // ---- Warm-up ----

    [Theory]
    [InlineData("constant", false)]
    [InlineData("step", false)]
    [InlineData("cosine", true)]
    [InlineData("cosine_warm_restarts", false)]
    public void Warm_up_starts_at_the_factor_rises_steadily_and_reaches_base(string name, bool perStep)
    {
        const int steps = 50;
        var s = new LrScheduleSpec { Name = name, WarmupEpochs = 4, WarmupStartFactor = 0.05, PerStep = perStep, T0 = 3, StepSize = 2 };
        Close(Base * 0.05, Lr(s, 0, 0, steps, 40), "first step");
        var previous = 0.0;
        for (var epoch = 0; epoch < 4; epoch++)
            for (var i = 0; i < steps; i++)
            {
                var lr = Lr(s, epoch, i, steps, 40);
                Assert.True(lr > previous, $"not rising at epoch {epoch} step {i}: {lr} after {previous}");
                Assert.True(lr < Base, $"base before the end of the warm-up at epoch {epoch} step {i}");
                // Linear in the fractional epoch, whatever per_step says.
                Close(Base * (0.05 + 0.95 * (epoch + (double)i / steps) / 4), lr, $"epoch {epoch} step {i}");
                previous = lr;
            }
        Close(Base, Lr(s, 4, 0, steps, 40), "end of the warm-up");
    }

    [Fact]
    public void The_schedule_starts_after_the_warm_up()
    {
        var s = new LrScheduleSpec { Name = "step", StepSize = 2, Gamma = 0.5, WarmupEpochs = 3 };
        Assert.Equal([Base, Base, Base / 2, Base / 2, Base / 4], Enumerable.Range(3, 5).Select(e => Lr(s, e)));
    }

    [Fact]
    public void A_fractional_warm_up_never_goes_past_base()
    {
        var s = new LrScheduleSpec { Name = "exponential", Gamma = 0.5, WarmupEpochs = 2.5 };
        for (var i = 0; i < 10; i++) Assert.True(Lr(s, 2, i, 10) <= Base);
        Close(Base, Lr(s, 2, 9, 10), "end of epoch 2, past w");
        Close(Base * Math.Pow(0.5, 0.5), Lr(s, 3, 0, 10), "epoch 3 is time 0.5 of the schedule");
        Close(Base * Math.Pow(0.5, 0.5), Lr(s, 3, 9, 10), "per epoch: constant through the epoch");
        // per_step: the schedule takes over at 2.5 exactly.
        Close(Base, Lr(s with { PerStep = true }, 2, 5, 10), "at w");
        Close(Base * Math.Pow(0.5, 0.2), Lr(s with { PerStep = true }, 2, 7, 10), "0.2 after w");
    }

    // ---- per_step against per epoch ----

    [Fact]
    public void Per_epoch_holds_the_lr_through_an_epoch_and_per_step_moves_within_it()
    {
        var cos = new LrScheduleSpec { Name = "cosine", TMax = 10 };
        var perEpoch = Enumerable.Range(0, 8).Select(i => Lr(cos, 3, i, 8)).ToArray();
        Assert.All(perEpoch, lr => Assert.Equal(perEpoch[0], lr));
        var perStep = Enumerable.Range(0, 8).Select(i => Lr(cos with { PerStep = true }, 3, i, 8)).ToArray();
        Assert.Equal(perEpoch[0], perStep[0]);
        for (var i = 1; i < 8; i++) Assert.True(perStep[i] < perStep[i - 1]);
        Close(Base * (1 + Math.Cos(Math.PI * 3.5 / 10)) / 2, perStep[4], "cosine at 3.5");

        var step = new LrScheduleSpec { Name = "step", StepSize = 2, Gamma = 0.5, PerStep = true };
        Assert.Equal(Base, Lr(step, 1, 9, 10));
        Assert.Equal(Base / 2, Lr(step, 2, 0, 10));
        Close(Base * Math.Pow(0.9, 1.5), Lr(new() { Name = "exponential", Gamma = 0.9, PerStep = true }, 1, 5, 10), "exponential at 1.5");
        Close(Base * 0.9, Lr(new() { Name = "exponential", Gamma = 0.9 }, 1, 5, 10), "exponential per epoch");
    }

    [Fact]
    public void Constant_is_the_base_lr()
    {
        Assert.Equal(Base, Lr(new LrScheduleSpec(), 0));
        Assert.Equal(Base, Lr(new LrScheduleSpec(), 99, 9, 10));
        Assert.Equal(Base, Lr(new LrScheduleSpec { PerStep = true }, 7, 0, 0)); // an empty epoch
    }

    // ---- Batch size ----

    [Fact]
    public void Batch_grows_by_1_037_per_epoch_up_to_4526_as_in_python()
    {
        var s = new BatchScheduleSpec { Name = "exponential", Growth = 1.037, Max = 4526 };
        Assert.Equal(128, Schedules.BatchSize(s, 128, 0));
        Assert.Equal(Batch128, Enumerable.Range(0, Batch128.Length).Select(e => Schedules.BatchSize(s, 128, e)));
        Assert.Equal(BatchCapFirstEpoch, Enumerable.Range(0, 200).First(e => Schedules.BatchSize(s, 128, e) == 4526));
        Assert.Equal(4503, Schedules.BatchSize(s, 128, BatchCapFirstEpoch - 1));
        Assert.Equal(4526, Schedules.BatchSize(s, 128, 500));
        Assert.Equal([132, 255, 1015, 4038], new[] { 1, 19, 57, 95 }.Select(e => Schedules.BatchSize(s, 128, e)));
    }

    [Fact]
    public void Batch_constant_uncapped_and_never_below_one()
    {
        Assert.Equal(128, Schedules.BatchSize(null, 128, 40));
        Assert.Equal(128, Schedules.BatchSize(new BatchScheduleSpec(), 128, 40));
        var uncapped = new BatchScheduleSpec { Name = "exponential", Growth = 2 };
        Assert.Equal(128 << 10, Schedules.BatchSize(uncapped, 128, 10));
        Assert.Equal(int.MaxValue, Schedules.BatchSize(uncapped, 128, 5000)); // overflows to infinity, held in an int
        Assert.Equal(1, Schedules.BatchSize(new BatchScheduleSpec { Name = "exponential", Growth = 1 }, 0, 3));
        Assert.Equal(1, Schedules.BatchSize(new BatchScheduleSpec { Name = "exponential", Max = 0 }, 128, 3));
    }

    // ---- Validation ----

    private static IReadOnlyDictionary<string, string[]> Check(LrScheduleSpec? lr, BatchScheduleSpec? batch = null, int maxEpochs = 20)
    {
        var e = new SpecErrors();
        ScheduleValidation.Validate(lr, batch, maxEpochs, e);
        return e.ToDictionary();
    }

    [Fact]
    public void Missing_and_default_sections_are_valid()
    {
        Assert.Empty(Check(null));
        foreach (var name in LrScheduleSpec.Names) Assert.Empty(Check(LrScheduleSpec.FromName(name)));
        foreach (var name in BatchScheduleSpec.Names) Assert.Empty(Check(null, BatchScheduleSpec.FromName(name)));
        Assert.Empty(Check(new() { Name = "cosine", WarmupEpochs = 19.5, EtaMin = 1e-4 }, new() { Name = "exponential", Max = 4526 }));
    }

    [Fact]
    public void Unknown_schedules_list_the_known_ones()
    {
        var errors = Check(new() { Name = "onecycle" }, new() { Name = "linear" });
        Assert.Equal(["unknown lr schedule 'onecycle'; one of constant, step, exponential, cosine, cosine_warm_restarts"], errors["lr_schedule.name"]);
        Assert.Equal(["unknown batch schedule 'linear'; one of constant, exponential"], errors["batch_schedule.name"]);
    }

    [Fact]
    public void Each_bad_field_is_named()
    {
        Assert.Equal(["must be in (0, 1]"], Check(new() { Name = "step", Gamma = 1.5 })["lr_schedule.gamma"]);
        Assert.Equal(["must be in (0, 1]"], Check(new() { Name = "exponential", Gamma = 0 })["lr_schedule.gamma"]);
        Assert.Equal(["must be in (0, 1]"], Check(new() { Name = "exponential", Gamma = double.NaN })["lr_schedule.gamma"]);
        Assert.Empty(Check(new() { Name = "step", Gamma = 1 }));
        Assert.Contains("at least 1", Check(new() { Name = "step", StepSize = 0 })["lr_schedule.step_size"][0]);
        Assert.Contains("at least 1", Check(new() { Name = "cosine", TMax = 0 })["lr_schedule.t_max"][0]);
        Assert.Contains("zero or positive", Check(new() { Name = "cosine", EtaMin = -1e-3 })["lr_schedule.eta_min"][0]);
        Assert.Contains("zero or positive", Check(new() { Name = "cosine_warm_restarts", EtaMin = double.PositiveInfinity })["lr_schedule.eta_min"][0]);

        var restarts = Check(new() { Name = "cosine_warm_restarts", T0 = 0, TMult = 0 });
        Assert.Contains("at least 1", restarts["lr_schedule.t_0"][0]);
        Assert.Contains("at least 1", restarts["lr_schedule.t_mult"][0]);

        Assert.Equal(["must be less than max_epochs (20)"], Check(new() { WarmupEpochs = 20 })["lr_schedule.warmup_epochs"]);
        Assert.Equal(["must be zero or positive"], Check(new() { WarmupEpochs = -1 })["lr_schedule.warmup_epochs"]);
        Assert.Equal(["must be in (0, 1]"], Check(new() { WarmupStartFactor = 0 })["lr_schedule.warmup_start_factor"]);

        var batch = Check(null, new() { Name = "exponential", Growth = 0.9, Max = 0 });
        Assert.Contains("at least 1", batch["batch_schedule.growth"][0]);
        Assert.Contains("between 1 and", batch["batch_schedule.max"][0]);
        Assert.True(Check(null, new() { Name = "exponential", Growth = double.PositiveInfinity }).ContainsKey("batch_schedule.growth"));
    }

    [Fact]
    public void Fields_of_other_schedules_are_not_checked()
    {
        Assert.Empty(Check(new() { Name = "cosine", Gamma = 7, StepSize = -1, T0 = 0 }));
        Assert.Empty(Check(null, new() { Name = "constant", Growth = 0.5, Max = -3 }));
    }

    // ---- JSON ----

    // How ExperimentSpec holds a section: the converter on the property, so a bare name reads as { "name": ... }.
    private sealed record Holder
    {
        [JsonConverter(typeof(NameOrObjectConverter<LrScheduleSpec>))]
        public LrScheduleSpec? LrSchedule { get; init; }

        [JsonConverter(typeof(NameOrObjectConverter<BatchScheduleSpec>))]
        public BatchScheduleSpec? BatchSchedule { get; init; }
    }

    private static Holder Read(string json) => JsonSerializer.Deserialize<Holder>(json, SpecJson.Options)!;

    [Fact]
    public void Specs_read_with_pytorchs_argument_names()
    {
        var h = Read("""{"lr_schedule":{"name":"cosine_warm_restarts","t_0":3,"t_mult":2,"eta_min":0.001,"per_step":true}}""");
        Assert.Equal(3, h.LrSchedule!.T0);
        Assert.Equal(2, h.LrSchedule.TMult);
        Assert.Equal(0.001, h.LrSchedule.EtaMin);
        Assert.True(h.LrSchedule.PerStep);
        Assert.Null(h.BatchSchedule);

        var bare = Read("""{"lr_schedule":"step","batch_schedule":"exponential"}""");
        Assert.Equal(new LrScheduleSpec { Name = "step" }, bare.LrSchedule);
        Assert.Equal(new BatchScheduleSpec { Name = "exponential" }, bare.BatchSchedule);
    }

    [Fact]
    public void Specs_write_the_same_names_and_read_back_equal()
    {
        var lr = new LrScheduleSpec { Name = "cosine", TMax = 40, WarmupEpochs = 2.5, WarmupStartFactor = 0.1, StepSize = 7 };
        var json = JsonSerializer.Serialize(lr, SpecJson.Options);
        using (var doc = JsonDocument.Parse(json))
            Assert.Equal(
                ["name", "step_size", "gamma", "t_max", "t_0", "t_mult", "eta_min", "warmup_epochs", "warmup_start_factor", "per_step"],
                doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(lr, JsonSerializer.Deserialize<LrScheduleSpec>(json, SpecJson.Options));

        var batch = new BatchScheduleSpec { Name = "exponential", Max = 4526 };
        Assert.Equal("""{"name":"exponential","growth":1.037,"max":4526,"drop_last":false}""", JsonSerializer.Serialize(batch, SpecJson.Options));
        Assert.Equal(batch, JsonSerializer.Deserialize<BatchScheduleSpec>(JsonSerializer.Serialize(batch, SpecJson.Options), SpecJson.Options));
        // Null t_max and max are left out, as elsewhere in a stored spec.
        Assert.DoesNotContain("t_max", JsonSerializer.Serialize(new LrScheduleSpec(), SpecJson.Options));
    }

    [Fact]
    public void The_policys_own_spelling_is_refused()
    {
        // SnakeCaseLower alone would have written T0 as "t0"; that key is unknown, not silently ignored.
        var e = Assert.Throws<JsonException>(() => Read("""{"lr_schedule":{"name":"cosine_warm_restarts","t0":3}}"""));
        Assert.Contains("t0", e.Message);
        Assert.Equal("$.lr_schedule.t0", e.Path); // SpecJson reports it as lr_schedule.t0: "unknown key"
    }
}
