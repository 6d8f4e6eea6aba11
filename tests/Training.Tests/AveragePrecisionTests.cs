using System.Diagnostics;
using Dashboard.Training.Engine;

namespace Dashboard.Training.Tests;

/// <summary>
/// Expected values: small cases by hand; the larger ones from Reference/average_precision_reference.py, a numpy
/// re-implementation of scikit-learn's average_precision_score (scikit-learn was not installed where they were
/// computed; the script cross-checks against it where it is).
/// </summary>
public sealed class AveragePrecisionTests
{
    // Two classes, class 1's scores as given, class 0's as 1 - score.
    private static float[] TwoClass(params float[] class1) => class1.SelectMany(s => new[] { 1 - s, s }).ToArray();

    [Fact]
    public void Matches_scikit_learns_documented_example()
    {
        // average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333 (scikit-learn's docs).
        // Class 1: 0.8 (+) P=1 R=1/2; 0.4 (-); 0.35 (+) P=2/3 R=1: AP = 1/2 + 1/2 * 2/3 = 5/6.
        // Class 0 (scores 0.9 +, 0.65 -, 0.6 +, 0.2 -) gives 5/6 as well.
        var ap = AveragePrecision.PerClass(TwoClass(0.1f, 0.4f, 0.35f, 0.8f), [0, 0, 1, 1], 2);
        Assert.Equal(5.0 / 6, ap[1], 12);
        Assert.Equal(5.0 / 6, ap[0], 12);
        Assert.Equal(5.0 / 6, AveragePrecision.Macro(TwoClass(0.1f, 0.4f, 0.35f, 0.8f), [0, 0, 1, 1], 2), 12);
    }

    [Fact]
    public void Tied_scores_are_one_threshold()
    {
        // Class 1 positives at 0 and 3; scores 0.5, 0.5, 0.5, 0.2.
        // Threshold 0.5: TP 1 of 3 seen, P=1/3, R=1/2; threshold 0.2: P=2/4, R=1.
        // AP = 1/2 * 1/3 + 1/2 * 1/2 = 5/12 (ranking the tied positive first would give 3/4).
        var ap = AveragePrecision.PerClass(TwoClass(0.5f, 0.5f, 0.5f, 0.2f), [1, 0, 0, 1], 2);
        Assert.Equal(5.0 / 12, ap[1], 12);
        // The order of the tied samples in the input does not matter.
        var swapped = AveragePrecision.PerClass(TwoClass(0.5f, 0.5f, 0.2f, 0.5f), [0, 0, 1, 1], 2);
        Assert.Equal(5.0 / 12, swapped[1], 12);
    }

    [Fact]
    public void All_scores_tied_give_the_positive_rate()
    {
        var scores = new float[5 * 2];
        Array.Fill(scores, 0.5f);
        var ap = AveragePrecision.PerClass(scores, [1, 0, 0, 1, 0], 2);
        Assert.Equal(2.0 / 5, ap[1], 12);
        Assert.Equal(3.0 / 5, ap[0], 12);
    }

    [Fact]
    public void A_perfect_ranking_scores_one()
    {
        long[] labels = [2, 0, 1, 2, 1, 0];
        var scores = labels.SelectMany(l => Enumerable.Range(0, 3).Select(c => c == l ? 0.9f : 0.05f)).ToArray();
        Assert.Equal(1.0, AveragePrecision.Macro(scores, labels, 3), 12);
    }

    [Fact]
    public void A_class_with_no_positives_is_left_out_of_the_mean()
    {
        // Three classes, class 2 never the label. Class 0 positives at 0, 2; class 1 at 1, 3.
        float[] scores =
        [
            0.6f, 0.3f, 0.1f,
            0.5f, 0.4f, 0.1f,
            0.2f, 0.7f, 0.1f,
            0.1f, 0.8f, 0.1f,
        ];
        long[] labels = [0, 1, 0, 1];
        var ap = AveragePrecision.PerClass(scores, labels, 3);
        // Class 0: 0.6 (+) P=1 R=1/2; 0.5 (-); 0.2 (+) P=2/3 R=1: 5/6.
        Assert.Equal(5.0 / 6, ap[0], 12);
        // Class 1: 0.8 (+) P=1 R=1/2; 0.7 (-, sample 2); 0.4 (+) P=2/3 R=1: 5/6.
        Assert.Equal(5.0 / 6, ap[1], 12);
        Assert.True(double.IsNaN(ap[2]));
        Assert.Equal(5.0 / 6, AveragePrecision.Macro(scores, labels, 3), 12);
    }

    [Fact]
    public void Matches_the_reference_with_many_ties()
    {
        // ties_case() in Reference/average_precision_reference.py.
        const int n = 30, classes = 4;
        var scores = new float[n * classes];
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < classes; c++) scores[i * classes + c] = (float)((i * 7 + c * 13) % 11) / 10f;
            labels[i] = (i * 5 + i / 4) % 3;
        }
        var ap = AveragePrecision.PerClass(scores, labels, classes);
        Assert.Equal(0.44489331220703765, ap[0], 12);
        Assert.Equal(0.20735375735375736, ap[1], 12);
        Assert.Equal(0.24603835978835978, ap[2], 12);
        Assert.True(double.IsNaN(ap[3]));
        Assert.Equal(0.29942847644971826, AveragePrecision.Macro(scores, labels, classes), 12);
    }

    [Fact]
    public void Matches_the_reference_with_distinct_scores()
    {
        // hashed_case() in Reference/average_precision_reference.py.
        const int n = 200, classes = 5;
        var scores = new float[n * classes];
        var labels = new long[n];
        for (long i = 0; i < n; i++)
        {
            for (long c = 0; c < classes; c++)
                scores[i * classes + c] = (float)((i * 2654435761L + c * 40503) % 1000003) / 1000003f;
            labels[i] = (i * 37 + i / 7) % 5;
        }
        var ap = AveragePrecision.PerClass(scores, labels, classes);
        double[] expected = [0.6355140062384927, 0.09708214287786196, 0.26961168409117536, 0.2730083599954783, 0.8773109867038155];
        for (int c = 0; c < classes; c++) Assert.Equal(expected[c], ap[c], 12);
        Assert.Equal(0.43050543598136476, AveragePrecision.Macro(scores, labels, classes), 12);
    }

    [Fact]
    public void Ten_thousand_by_ten_is_fast()
    {
        const int n = 10_000, classes = 10;
        var rng = new Random(1);
        var scores = new float[n * classes];
        for (int i = 0; i < scores.Length; i++) scores[i] = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, n).Select(_ => (long)rng.Next(classes)).ToArray();
        AveragePrecision.Macro(scores, labels, classes); // warm up the JIT
        var clock = Stopwatch.StartNew();
        var macro = AveragePrecision.Macro(scores, labels, classes);
        clock.Stop();
        Assert.InRange(macro, 0.05, 0.15); // random scores: about the positive rate, 0.1
        Assert.True(clock.ElapsedMilliseconds < 500, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Bad_input_is_rejected_and_nan_scores_give_nan()
    {
        Assert.Throws<ArgumentException>(() => AveragePrecision.Macro(new float[5], [0, 1], 2));
        Assert.Throws<ArgumentException>(() => AveragePrecision.Macro(new float[4], [0, 2], 2));
        Assert.True(double.IsNaN(AveragePrecision.Macro([0.5f, float.NaN, 0.2f, 0.8f], [0, 1], 2)));
        Assert.True(double.IsNaN(AveragePrecision.Macro([], [], 2)));
    }
}
