using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests;

/// <summary>
/// scripts/fit-check.py, the independent numpy fit of the scaling page's CSV export: on runs whose losses follow a
/// known law, its exponents agree with the page's fit of the same runs and with the law.
/// </summary>
public sealed partial class ScalingFitCheckTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task The_scripts_fit_of_the_exported_csv_agrees_with_the_pages_fit_and_the_known_law()
    {
        // L = 3·w^(−0.4) + 0.3 at eight widths and three seeds, each with 1% multiplicative noise, stored as val_loss.
        var random = new Random(7);
        var ids = new List<long>();
        foreach (var width in new[] { 4, 8, 16, 32, 64, 128, 256, 512 })
            foreach (var seed in new[] { 0, 1, 2 })
            {
                var spec = $$"""{"name":"fitcheck","dataset":{"name":"fashion_mnist"},"model":{"name":"cnn","width":{{width}}},"seed":{{seed}},"max_epochs":3}""";
                var run = await factory.AddRunAsync("fitcheck", $$"""{"model.width":{{width}},"seed":{{seed}}}""", spec: spec);
                double noise = 0.01 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                await factory.WriteAsync(run.Id, DateTime.UtcNow, ("val_loss", 10, (3 * Math.Pow(width, -0.4) + 0.3) * Math.Exp(noise)));
                ids.Add(run.Id);
            }
        var query = $"runs={string.Join(",", ids)}&x=model.width";

        var offset = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?{query}&law=offset");
        var checkedOffset = await FitCheckAsync(await _client.GetStringAsync($"/api/analysis/scaling.csv?{query}&law=offset"));
        var page = offset.GetProperty("fit");
        var (pageAlpha, pageE) = (page.GetProperty("alpha").GetProperty("value").GetDouble(), page.GetProperty("e").GetProperty("value").GetDouble());
        var script = OffsetLine().Match(checkedOffset);
        Assert.True(script.Success, checkedOffset);
        var (alpha, e) = (Number(script.Groups["a"]), Number(script.Groups["e"]));
        Assert.InRange(alpha, pageAlpha - 0.002, pageAlpha + 0.002);
        Assert.InRange(e, pageE - 0.002, pageE + 0.002);
        Assert.InRange(alpha, 0.35, 0.45);
        Assert.InRange(e, 0.27, 0.33);
        var agreement = Regex.Match(checkedOffset, @"against the offset law fitted here: largest relative difference (?<p>[0-9.]+)%");
        Assert.InRange(Number(agreement.Groups["p"]), 0, 0.05);

        // The pure power law is a straight line in log-log: both fits are the same least-squares line.
        var power = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?{query}&law=power");
        var checkedPower = await FitCheckAsync(await _client.GetStringAsync($"/api/analysis/scaling.csv?{query}&law=power"));
        var line = PowerLine().Match(checkedPower);
        Assert.True(line.Success, checkedPower);
        Assert.Equal(power.GetProperty("fit").GetProperty("alpha").GetProperty("value").GetDouble(), Number(line.Groups["a"]), 5);
        Assert.Equal(power.GetProperty("fit").GetProperty("a").GetProperty("value").GetDouble(), Number(line.Groups["A"]), 4);
        // Without its offset the law bends, and the straight line's exponent is well below the law's 0.4.
        Assert.InRange(Number(line.Groups["a"]), 0.1, 0.35);
    }

    [Fact]
    public async Task The_scripts_joint_fit_agrees_with_the_pages_compute_optimal_exponents()
    {
        // L = 20·N^(−0.3) + 30·D^(−0.4) + 0.2 over 4 parameter counts × 4 subset sizes × 2 seeds, 0.5% noise.
        var random = new Random(11);
        var ids = new List<long>();
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        foreach (var n in new[] { 1_000, 4_000, 16_000, 64_000 })
            foreach (var d in new[] { 1_000, 3_000, 10_000, 30_000 })
                foreach (var seed in new[] { 0, 1 })
                {
                    var spec = $$"""{"name":"joint","dataset":{"name":"fashion_mnist","size":{{d}}},"model":{"name":"cnn"},"seed":{{seed}},"max_epochs":3}""";
                    var run = await factory.AddRunAsync("joint", $$"""{"dataset.size":{{d}},"seed":{{seed}}}""", spec: spec);
                    await using (var db = await dbs.CreateDbContextAsync())
                        await db.Runs.Where(r => r.Id == run.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.ParameterCount, (long?)n));
                    double noise = 0.005 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                    await factory.WriteAsync(run.Id, DateTime.UtcNow, ("val_loss", 10, (20 * Math.Pow(n, -0.3) + 30 * Math.Pow(d, -0.4) + 0.2) * Math.Exp(noise)));
                    ids.Add(run.Id);
                }
        var query = $"runs={string.Join(",", ids)}&law=joint";

        var page = (await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/scaling?{query}")).GetProperty("joint");
        var output = await FitCheckAsync(await _client.GetStringAsync($"/api/analysis/scaling.csv?{query}"));

        var joint = JointLine().Match(output);
        var optimal = Regex.Match(output, @"^compute-optimal: N_opt ~ C\^(?<n>\S+)  D_opt ~ C\^(?<d>\S+)$", RegexOptions.Multiline);
        Assert.True(joint.Success && optimal.Success, output);
        var (alpha, beta) = (Number(joint.Groups["a"]), Number(joint.Groups["b"]));
        Assert.InRange(alpha, page.GetProperty("alpha").GetProperty("value").GetDouble() - 0.005, page.GetProperty("alpha").GetProperty("value").GetDouble() + 0.005);
        Assert.InRange(beta, page.GetProperty("beta").GetProperty("value").GetDouble() - 0.005, page.GetProperty("beta").GetProperty("value").GetDouble() + 0.005);
        Assert.Equal(page.GetProperty("n_opt_exponent").GetDouble(), Number(optimal.Groups["n"]), 2);
        Assert.Equal(page.GetProperty("d_opt_exponent").GetDouble(), Number(optimal.Groups["d"]), 2);
        // The known law: N_opt ∝ C^(0.4/0.7) = C^0.571.
        Assert.InRange(alpha, 0.27, 0.33);
        Assert.InRange(beta, 0.37, 0.43);
        Assert.InRange(Number(optimal.Groups["n"]), 0.54, 0.60);
        var agreement = Regex.Match(output, @"against the joint law fitted here: largest relative difference (?<p>[0-9.]+)%");
        Assert.InRange(Number(agreement.Groups["p"]), 0, 0.1);
    }

    [GeneratedRegex(@"^joint:  L = A\*N\^\(-a\) \+ B\*D\^\(-b\) \+ E  A = (?<A>\S+)  a = (?<a>\S+)  B = (?<B>\S+)  b = (?<b>\S+)  E = (?<e>\S+)  rmse", RegexOptions.Multiline)]
    private static partial Regex JointLine();

    [GeneratedRegex(@"^offset: L = A\*x\^\(-a\) \+ E  A = (?<A>\S+)  a = (?<a>\S+)  E = (?<e>\S+)  rmse", RegexOptions.Multiline)]
    private static partial Regex OffsetLine();

    [GeneratedRegex(@"^power:  L = A\*x\^\(-a\)      A = (?<A>\S+)  a = (?<a>\S+)  rmse", RegexOptions.Multiline)]
    private static partial Regex PowerLine();

    private static double Number(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);

    /// <summary>Runs scripts/fit-check.py with Debian's python3 (which has numpy) on <paramref name="csv"/>; its output.</summary>
    private static async Task<string> FitCheckAsync(string csv)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Dashboard.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var file = Path.Combine(Path.GetTempPath(), $"scaling-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, csv);
        try
        {
            var psi = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(root.FullName, "scripts", "fit-check.py"), file])
            { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, await error);
            return await output;
        }
        finally { File.Delete(file); }
    }
}
