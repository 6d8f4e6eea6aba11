using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dashboard.Web.Tests;

/// <summary>The experiment form posted as a browser posts it: every field as the page rendered it, some changed.</summary>
public sealed class FormTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    /// <summary>The form's fields with their rendered values (selected options, ticked boxes), and its antiforgery token.</summary>
    private async Task<List<KeyValuePair<string, string>>> RenderedFormAsync()
    {
        var html = await _client.GetStringAsync("/experiments/new");
        var form = Regex.Match(html, "<form[^>]*id=\"experiment-form\".*?</form>", RegexOptions.Singleline).Value;
        var fields = new List<KeyValuePair<string, string>>();
        foreach (Match input in Regex.Matches(form, "<input([^>]*)>"))
        {
            var attrs = input.Groups[1].Value;
            var name = Regex.Match(attrs, "name=\"([^\"]+)\"").Groups[1].Value;
            if (name.Length == 0) continue;
            if (attrs.Contains("type=\"checkbox\"") && !attrs.Contains("checked")) continue;
            fields.Add(new(name, WebUtility.HtmlDecode(Regex.Match(attrs, "value=\"([^\"]*)\"").Groups[1].Value)));
        }
        foreach (Match select in Regex.Matches(form, "<select[^>]*name=\"([^\"]+)\"[^>]*>(.*?)</select>", RegexOptions.Singleline))
        {
            // An empty value is rendered as a bare attribute (<option value>).
            var options = Regex.Matches(select.Groups[2].Value, "<option value(?:=\"([^\"]*)\")?([^>]*)>");
            var chosen = options.FirstOrDefault(o => o.Groups[2].Value.Contains("selected")) ?? options.FirstOrDefault();
            fields.Add(new(select.Groups[1].Value, chosen?.Groups[1].Value ?? ""));
        }
        fields.Add(new("spec_json", ""));
        return fields;
    }

    private static void Set(List<KeyValuePair<string, string>> fields, string name, string value)
    {
        var i = fields.FindIndex(f => f.Key == name);
        fields[i] = new(name, value);
    }

    private async Task<string> PostAsync(List<KeyValuePair<string, string>> fields, string action)
    {
        var response = await _client.PostAsync("/experiments/new", new FormUrlEncodedContent(fields.Append(new("action", action))));
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<int> RunCount() => (await _client.GetFromJsonAsync<JsonElement[]>("/api/runs?limit=1000"))!.Length;

    [Fact]
    public async Task The_rendered_form_previews_as_one_run_of_the_default_spec()
    {
        var page = await PostAsync(await RenderedFormAsync(), "preview");
        Assert.Matches("id=\"preview-count\"[^>]*>1</strong> run will be launched", page);
    }

    [Theory]
    [InlineData("dataset.folder", "/etc", "outside the data folders")]
    [InlineData("dataset.folder", "/usr/share/datasets/fashion-mnist/../../../../root", "outside the data folders")]
    [InlineData("name", "../../etc", "letters, digits")]
    [InlineData("max_epochs", "1e9", "whole number")]
    [InlineData("loss_func.minima_from", "/etc/passwd", "name a run")]
    public async Task A_hostile_value_is_answered_beside_its_field_and_nothing_is_stored(string field, string value, string message)
    {
        var before = await RunCount();
        var fields = await RenderedFormAsync();
        Set(fields, "dataset.name", "fashion_mnist");
        Set(fields, field, value);
        var page = await PostAsync(fields, "launch");
        Assert.Matches($"class=\"field-error\" data-field=\"{Regex.Escape(field)}\">[^<]*{message}", page);
        Assert.Equal(before, await RunCount());
    }
}
