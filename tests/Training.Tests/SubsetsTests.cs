using Dashboard.Training.Datasets;

namespace Dashboard.Training.Tests;

public sealed class SubsetsTests
{
    // counts[c] samples of class c, `features` values each; value (i, f) = i * 100 + f, so a row tells where it came from.
    private static TensorData Data(int[] counts, int features = 3)
    {
        var labels = new List<long>();
        // Interleave the classes so that class members are spread through the data.
        var left = (int[])counts.Clone();
        while (left.Any(l => l > 0))
            for (int c = 0; c < left.Length; c++)
                if (left[c]-- > 0) labels.Add(c);
        int n = labels.Count;
        var x = new float[n * features];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < features; f++) x[i * features + f] = i * 100 + f;
        return new TensorData(x, [n, features], labels.ToArray());
    }

    private static long[] Origins(TensorData subset) =>
        Enumerable.Range(0, (int)subset.Count).Select(i => (long)subset.Inputs[i * subset.Features] / 100).ToArray();

    private static int[] ClassCounts(TensorData d, int classes) =>
        Enumerable.Range(0, classes).Select(c => d.Labels.Count(l => l == c)).ToArray();

    [Theory]
    [InlineData(10, new[] { 5, 3, 2 })]  // exact shares
    [InlineData(7, new[] { 4, 2, 1 })]   // 3.5, 2.1, 1.4: floors 3, 2, 1; the largest remainder (0.5) gets the last one
    [InlineData(9, new[] { 4, 3, 2 })]   // 4.5, 2.7, 1.8: floors 4, 2, 1; remainders 0.8 and 0.7 get the two
    [InlineData(3, new[] { 1, 1, 1 })]   // 1.5, 0.9, 0.6
    [InlineData(99, new[] { 49, 30, 20 })] // 49.5, 29.7, 19.8: remainders 0.8 and 0.7 beat 0.5
    public void Size_is_exact_and_classes_are_proportional(int size, int[] expected)
    {
        var data = Data([50, 30, 20]);
        var subset = Subsets.Stratified(data, size, classes: 3, seed: 7);
        Assert.Equal(size, subset.Count);
        Assert.Equal([size, 3L], subset.Shape);
        Assert.Equal(size * 3, subset.Inputs.Length);
        Assert.Equal(expected, ClassCounts(subset, 3));
    }

    [Fact]
    public void Data_scaling_sizes_keep_the_balance_of_a_balanced_set()
    {
        var data = Data(Enumerable.Repeat(500, 10).ToArray(), features: 1);
        var subset = Subsets.Stratified(data, 625, classes: 10, seed: 1);
        Assert.Equal(625, subset.Count);
        // 62.5 each: five classes get 63 (the lowest indices on equal remainders), five get 62.
        Assert.Equal([63, 63, 63, 63, 63, 62, 62, 62, 62, 62], ClassCounts(subset, 10));
    }

    [Fact]
    public void Rows_stay_whole_with_their_labels_in_the_original_order()
    {
        var data = Data([50, 30, 20]);
        var subset = Subsets.Stratified(data, 17, classes: 3, seed: 3);
        var origins = Origins(subset);
        Assert.Equal(origins.Order(), origins);
        Assert.Equal(origins.Length, origins.Distinct().Count());
        for (int i = 0; i < subset.Count; i++)
        {
            Assert.Equal(data.Labels[origins[i]], subset.Labels[i]);
            for (int f = 0; f < 3; f++) Assert.Equal(origins[i] * 100 + f, subset.Inputs[i * 3 + f]);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_subset_and_other_seeds_differ()
    {
        var data = Data([50, 30, 20]);
        var a = Origins(Subsets.Stratified(data, 20, 3, seed: 42));
        var b = Origins(Subsets.Stratified(data, 20, 3, seed: 42));
        Assert.Equal(a, b);
        var others = new long[] { 43, 1, -42, 42L << 32 }.Select(s => Origins(Subsets.Stratified(data, 20, 3, s)));
        Assert.All(others, o => Assert.NotEqual(a, o));
    }

    [Fact]
    public void Image_shapes_are_kept()
    {
        var x = Enumerable.Range(0, 6 * 2 * 2 * 2).Select(v => (float)v).ToArray();
        var data = new TensorData(x, [6, 2, 2, 2], [0, 1, 0, 1, 0, 1]);
        var subset = Subsets.Stratified(data, 4, classes: 2, seed: 5);
        Assert.Equal([4L, 2, 2, 2], subset.Shape);
        Assert.Equal(32, subset.Inputs.Length);
        Assert.Equal([2, 2], ClassCounts(subset, 2));
        for (int i = 0; i < 4; i++) Assert.Equal(subset.Inputs[i * 8] + 7, subset.Inputs[i * 8 + 7]);
    }

    [Fact]
    public void A_size_of_the_whole_set_or_more_returns_it_unchanged()
    {
        var data = Data([5, 5]);
        Assert.Same(data, Subsets.Stratified(data, 10, 2, seed: 1));
        Assert.Same(data, Subsets.Stratified(data, 1000, 2, seed: 1));
    }

    [Fact]
    public void A_size_below_the_class_count_is_an_error()
    {
        var data = Data([5, 5, 5]);
        var e = Assert.Throws<ArgumentException>(() => Subsets.Stratified(data, 2, 3, seed: 1));
        Assert.Contains("at least the number of classes", e.Message);
        Assert.Throws<ArgumentException>(() => Subsets.Stratified(data, 0, 3, seed: 1));
        Assert.Throws<ArgumentException>(() => Subsets.Stratified(Data([5, 5, 5]), 5, 2, seed: 1)); // label 2 with 2 classes
    }
}
