using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>The API's launch and preview run the same launch checks as the form, and read the notes' dicts as they are.</summary>
public sealed class LaunchChecksApiTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private const string Base = """
        "name": "lc", "dataset": { "name": "hyperspheres", "n": 200, "p": 8, "d": 2 },
        "model": { "name": "mlp", "layer_size": [8] }, "max_epochs": 1
        """;

    private async Task<int> RunCount() => (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

    private Task<HttpResponseMessage> PostAsync(string path, string body) =>
        _client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    private static async Task<string[]> ErrorsOf(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        var problem = JsonDocument.Parse(body).RootElement;
        return problem.GetProperty("errors").TryGetProperty(field, out var list) ? [.. list.EnumerateArray().Select(e => e.GetString()!)] : [];
    }

    [Theory]
    [InlineData("/api/experiments/preview")]
    [InlineData("/api/experiments")]
    public async Task Preview_and_launch_refuse_a_folder_outside_the_data_folders_alike(string path)
    {
        var response = await PostAsync(path, """{ "dataset": { "name": "fashion_mnist", "folder": "/etc" }, "model": "mlp", "max_epochs": 1 }""");
        var errors = await ErrorsOf(response, "dataset.folder");
        Assert.True(errors.Any(m => m.Contains("outside the data folders")), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_dataset_without_its_files_a_missing_minima_run_and_a_too_large_subset_are_each_named_and_nothing_is_stored()
    {
        var before = await RunCount();
        var response = await PostAsync("/api/experiments", """
            { "dataset": { "name": "cifar10", "size": 60000 }, "model": "simple_cnn",
              "loss_func": { "distance": true, "minima_from": ["ghost/00042"] }, "max_epochs": 1 }
            """);
        Assert.Contains(await ErrorsOf(response, "dataset.name"), m => m.Contains("data_batch_1.bin") && m.Contains("test_batch.bin"));
        Assert.Contains(await ErrorsOf(response, "dataset.size"), m => m.Contains("more than the 50000 training samples"));
        Assert.Contains(await ErrorsOf(response, "loss_func.minima_from"), m => m == "ghost/00042: no such run exists");
        Assert.Equal(before, await RunCount());
    }

    [Fact]
    public async Task A_learning_rate_beyond_float32_is_refused_against_its_field()
    {
        var response = await PostAsync("/api/experiments", $$"""{ {{Base}}, "optimizer": { "name": "sgd", "lr": 1e308 } }""");
        Assert.Contains(await ErrorsOf(response, "optimizer.lr"), m => m.Contains("32-bit float"));
    }

    [Fact]
    public async Task A_notebook_dict_with_a_name_around_it_and_python_words_launches()
    {
        var response = await PostAsync("/api/experiments", $$"""
            "hps1": { {{Base}}, "model": { "name": "mlp", "layer_size": [8], "batch_norm": True, "output_dim": None },
                      "loss_func": { "name": "softmax_loss", "distance": False } }
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_missing_sweep_page_is_a_404()
    {
        var response = await _client.GetAsync("/experiments/987654");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
