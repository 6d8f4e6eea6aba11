using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>The runtime pivot's arithmetic, on stored runs with known epoch times, samples and elapsed seconds.</summary>
public sealed class RuntimePivotTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<long> RunAsync(int batch, int gpus, int seed, double[] epochTimes, double samples, double elapsed, double updates)
    {
        var spec = $$"""
            { "name": "rt", "dataset": { "name": "hyperspheres", "n": 2000, "p": 128, "d": 5 }, "model": { "name": "mlp", "layer_size": [8] },
              "batch_size": {{batch}}, "num_gpu": {{gpus}}, "device": "cuda:0", "seed": {{seed}}, "max_epochs": 2 }
            """;
        var run = await factory.AddRunAsync("rt", spec: spec);
        var points = epochTimes.Select((t, i) => ("epoch_time", (long)(i + 1) * 10, t))
            .Append(("samples", 20L, samples)).Append(("elapsed", 20L, elapsed)).Append(("updates", 20L, updates)).ToArray();
        await factory.WriteAsync(run.Id, DateTime.UtcNow, points);
        return run.Id;
    }

    [Fact]
    public async Task Cells_are_the_seed_means_with_the_speed_up_against_the_chosen_cell_and_the_ideal_along_numeric_columns()
    {
        var ids = new List<long>
        {
            await RunAsync(128, 1, 0, [9, 11], 4000, 25, 32), await RunAsync(128, 1, 1, [11, 13], 4000, 27, 32),   // mean 11
            await RunAsync(128, 2, 0, [6, 6], 4000, 14, 16), await RunAsync(128, 2, 1, [6, 6], 4000, 14, 16),      // mean 6
            await RunAsync(128, 4, 0, [4, 4], 4000, 10, 8), await RunAsync(128, 4, 1, [3, 3], 4000, 8, 8),         // mean 3.5
            await RunAsync(256, 1, 0, [8, 8], 4000, 20, 16),
        };
        var runs = string.Join(",", ids);

        var pivot = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/runtime?runs={runs}&rows=batch_size&cols=num_gpu&measure=epoch_time");

        Assert.Equal(["128", "256"], pivot.GetProperty("row_values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["1", "2", "4"], pivot.GetProperty("col_values").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("128|1", pivot.GetProperty("baseline").GetString());
        var cells = pivot.GetProperty("cells").EnumerateArray().ToDictionary(c => (c.GetProperty("row").GetString(), c.GetProperty("col").GetString()));
        Assert.Equal(4, cells.Count);
        Assert.Equal(11, cells[("128", "1")].GetProperty("mean").GetDouble(), 12);
        Assert.Equal(1, cells[("128", "1")].GetProperty("std").GetDouble(), 12);
        Assert.Equal(2, cells[("128", "1")].GetProperty("runs").GetInt32());
        Assert.Equal(11.0 / 6, cells[("128", "2")].GetProperty("speed_up").GetDouble(), 12);
        Assert.Equal(11.0 / 3.5, cells[("128", "4")].GetProperty("speed_up").GetDouble(), 12);
        Assert.Equal(4, cells[("128", "4")].GetProperty("ideal").GetDouble());
        Assert.Equal(11.0 / 8, cells[("256", "1")].GetProperty("speed_up").GetDouble(), 12);

        // Throughput rises as a setting scales: its speed-up is the cell over the baseline, here the (256, 1) cell.
        var rate = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/runtime?runs={runs}&rows=batch_size&cols=num_gpu&measure=samples_per_s&baseline=256|1");
        var rc = rate.GetProperty("cells").EnumerateArray().ToDictionary(c => (c.GetProperty("row").GetString(), c.GetProperty("col").GetString()));
        Assert.Equal("256|1", rate.GetProperty("baseline").GetString());
        Assert.Equal(4000.0 / 14 / (4000.0 / 20), rc[("128", "2")].GetProperty("speed_up").GetDouble(), 12);
        Assert.Equal((4000.0 / 10 + 4000.0 / 8) / 2, rc[("128", "4")].GetProperty("mean").GetDouble(), 12);

        var steps = await _client.GetFromJsonAsync<JsonElement>($"/api/analysis/runtime?runs={runs}&rows=batch_size&cols=num_gpu&measure=steps");
        Assert.Equal(32.0 / 8, steps.GetProperty("cells").EnumerateArray().Single(c => c.GetProperty("col").GetString() == "4").GetProperty("speed_up").GetDouble(), 12);

        var csv = (await _client.GetStringAsync($"/api/analysis/runtime.csv?runs={runs}&rows=batch_size&cols=num_gpu")).TrimEnd('\n').Split('\n');
        Assert.Equal("batch_size,num_gpu,runs,epoch_time_mean,epoch_time_std,speed_up,ideal", csv[0]);
        Assert.Equal("128,2,2,6,0,1.8333333333333333,2", csv[2]);

        var bad = await _client.GetAsync($"/api/analysis/runtime?runs={runs}&rows=batch_size&cols=num_gpu&measure=flops");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("one of epoch_time, runtime, samples_per_s, steps", await bad.Content.ReadAsStringAsync());
    }
}
