using Dashboard.Training.Datasets;

namespace Dashboard.Training.Tests;

public class HyperspheresTests
{
    [Fact]
    public void Same_seed_same_data_and_the_split_holds_every_point_once()
    {
        var a = Hyperspheres.Generate(n: 500, p: 20, d: 3, classes: 4, noise: 0.05, valFraction: 0.2, seed: 11);
        var b = Hyperspheres.Generate(n: 500, p: 20, d: 3, classes: 4, noise: 0.05, valFraction: 0.2, seed: 11);
        var c = Hyperspheres.Generate(n: 500, p: 20, d: 3, classes: 4, noise: 0.05, valFraction: 0.2, seed: 12);

        Assert.Equal(a.Train.Inputs, b.Train.Inputs);
        Assert.Equal(a.Validation.Labels, b.Validation.Labels);
        Assert.NotEqual(a.Train.Inputs, c.Train.Inputs);
        Assert.Equal(400, a.Train.Count);
        Assert.Equal(100, a.Validation.Count);
        Assert.Equal([400L, 20], a.Train.Shape);
        Assert.Equal(4, a.Classes);
        Assert.Equal(Enumerable.Range(0, 4).Select(k => (long)k), a.Train.Labels.Concat(a.Validation.Labels).Distinct().Order());
    }

    [Fact]
    public void Without_noise_each_class_lies_on_a_unit_sphere_around_its_centre()
    {
        var data = Hyperspheres.Generate(n: 300, p: 16, d: 4, classes: 3, noise: 0, valFraction: 0.1, seed: 2);
        var x = data.Train.Inputs;
        for (int c = 0; c < 3; c++)
        {
            var rows = Enumerable.Range(0, (int)data.Train.Count).Where(i => data.Train.Labels[i] == c).ToArray();
            var centre = Enumerable.Range(0, 16).Select(j => rows.Average(i => (double)x[i * 16 + j])).ToArray();
            // Points on a sphere are symmetric around its centre, so the mean is close to it and all radii are equal.
            var radii = rows.Select(i => Math.Sqrt(Enumerable.Range(0, 16).Sum(j => Math.Pow(x[i * 16 + j] - centre[j], 2)))).ToArray();
            Assert.InRange(radii.Average(), 0.85, 1.15);
        }
    }
}
