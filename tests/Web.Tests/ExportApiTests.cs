using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

public sealed class ExportApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private static readonly DateTime Start = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    private static List<string[]> Rows(string csv) => [.. csv.TrimEnd('\n').Split('\n').Skip(1).Select(l => l.Split(','))];

    [Fact]
    public async Task A_runs_csv_holds_every_stored_point_at_full_precision_ordered_by_key_and_step()
    {
        var run = await factory.AddRunAsync("csv");
        // 0.1 + 0.2 needs all 17 digits; 1e-300 an exponent; the steps are stored out of order.
        await factory.WriteAsync(run.Id, Start, ("val_loss", 3, 1e-300), ("loss", 2, 0.1 + 0.2), ("loss", 1, 2.5), ("epoch", 3, 1));

        var response = await _client.GetAsync($"/api/runs/{run.Id}/metrics.csv");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("csv-00001-metrics.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var csv = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("run,key,step,value,time\n", csv);
        Assert.Equal(
        [
            ["csv/00001", "epoch", "3", "1", "2026-03-01T12:00:03.0000000Z"],
            ["csv/00001", "loss", "1", "2.5", "2026-03-01T12:00:01.0000000Z"],
            ["csv/00001", "loss", "2", "0.30000000000000004", "2026-03-01T12:00:02.0000000Z"],
            ["csv/00001", "val_loss", "3", "1E-300", "2026-03-01T12:00:03.0000000Z"],
        ], Rows(csv));
        Assert.Equal(0.1 + 0.2, double.Parse(Rows(csv)[2][3], CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Several_runs_export_in_the_order_asked_for_and_can_be_narrowed_to_some_keys()
    {
        var a = await factory.AddRunAsync("many");
        var b = await factory.AddRunAsync("many");
        await factory.WriteAsync(a.Id, Start, ("loss", 1, 1), ("lr", 1, 0.1), ("val_loss", 1, 2));
        await factory.WriteAsync(b.Id, Start, ("loss", 1, 3), ("loss", 2, 4), ("lr", 1, 0.1));

        var response = await _client.GetAsync($"/api/runs/export.csv?ids={b.Id},{a.Id}&keys=loss,val_loss");
        Assert.Equal("metrics-2-runs.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var rows = Rows(await response.Content.ReadAsStringAsync());
        Assert.Equal(["many/00002 loss 1 3", "many/00002 loss 2 4", "many/00001 loss 1 1", "many/00001 val_loss 1 2"],
            rows.Select(r => string.Join(" ", r[..4])));
    }

    [Fact]
    public async Task The_specs_export_is_a_json_attachment_with_each_runs_params_and_spec()
    {
        var a = await factory.AddRunAsync("specs", """{"seed":4}""");
        var b = await factory.AddRunAsync("specs", """{"seed":5}""");
        var response = await _client.GetAsync($"/api/runs/export.json?ids={a.Id},{b.Id}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("specs-2-runs.json", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var runs = await response.Content.ReadFromJsonAsync<JsonElement[]>();
        Assert.NotNull(runs);
        Assert.Equal([a.Id, b.Id], runs.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal("specs/00002", runs[1].GetProperty("name").GetString());
        Assert.Equal(5, runs[1].GetProperty("params").GetProperty("seed").GetInt32());
        Assert.Equal("mlp", runs[1].GetProperty("spec").GetProperty("model").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("/api/runs/export.csv")]
    [InlineData("/api/runs/export.csv?ids=1,two")]
    [InlineData("/api/runs/export.json?ids=0")]
    [InlineData("/api/runs/export.json?ids=")]
    public async Task Bad_ids_are_a_400_naming_ids(string url)
    {
        var response = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("ids", out _));
    }

    [Fact]
    public async Task Unknown_runs_are_a_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync("/api/runs/876543/metrics.csv")).StatusCode);
        var response = await _client.GetAsync("/api/runs/export.json?ids=876543");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("876543", await response.Content.ReadAsStringAsync());
    }
}
