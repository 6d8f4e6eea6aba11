using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Dashboard.Data;
using Dashboard.Training.Specs;

namespace Dashboard.Web.Alerts;

/// <summary>
/// A new alert rule as the settings page's form and POST /api/alerts take it (snake_case, the field names the errors
/// name). <see cref="Check"/> answers each bad field by name and builds nothing until all are good.
/// </summary>
public sealed partial class AlertRuleInput
{
    /// <summary>A project (run name prefix); empty for every project.</summary>
    public string? Project { get; set; }
    public bool OnlyMine { get; set; }
    /// <summary>Any of finished, failed, diverged, stopped_early.</summary>
    public List<string> Events { get; set; } = [];
    /// <summary>A metric key ("val_accuracy"); with <see cref="Comparison"/> and <see cref="Threshold"/>, a threshold rule.</summary>
    public string? Metric { get; set; }
    public string? Comparison { get; set; }
    /// <summary>A number; text, so that the form keeps what was typed and answers "abc" beside the field.</summary>
    [JsonConverter(typeof(NumberOrTextConverter))]
    public string? Threshold { get; set; }
    public string? WebhookUrl { get; set; }
    public string? Secret { get; set; }
    public bool Browser { get; set; }

    public AlertRule? Check(string owner, SpecErrors errors)
    {
        var project = Blank(Project);
        if (project is not null && !ProjectRegex().IsMatch(project))
            errors.Add("project", "a project is its runs' name prefix: 1 to 64 letters, digits, '-' or '_' (empty: every project)");
        foreach (var e in Events.Where(e => !AlertEvents.RunEnds.Contains(e)))
            errors.Add("events", $"'{e}' is not one of {string.Join(", ", AlertEvents.RunEnds)}");

        var metric = Blank(Metric);
        var comparison = Blank(Comparison);
        var thresholdText = Blank(Threshold);
        double? threshold = null;
        if (metric is not null || thresholdText is not null)
        {
            if (metric is null) errors.Add("metric", "name the metric the threshold is for, e.g. val_accuracy");
            else if (!MetricRegex().IsMatch(metric)) errors.Add("metric", "a metric key: 1 to 64 letters, digits, '_', '/', '.' or '-'");
            if (comparison is null || !AlertComparisons.All.Contains(comparison))
                errors.Add("comparison", $"one of {string.Join(" ", AlertComparisons.All)}");
            if (thresholdText is null) errors.Add("threshold", "give the value to compare with, e.g. 0.9");
            else if (double.TryParse(thresholdText, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)) threshold = v;
            else errors.Add("threshold", $"'{thresholdText}' is not a number");
        }
        else if (Events.Count == 0)
            errors.Add("events", "choose at least one event, or a metric threshold");

        var url = Blank(WebhookUrl);
        if (url is not null)
        {
            if (url.Length > AlertRule.UrlLength) errors.Add("webhook_url", $"at most {AlertRule.UrlLength} characters");
            else if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
                errors.Add("webhook_url", "must be an http:// or https:// address, e.g. https://hooks.example.org/dashboard");
            else if (uri.UserInfo.Length > 0)
                errors.Add("webhook_url", "must not carry a user name or password; use the secret to sign the body instead");
        }
        else if (!Browser)
            errors.Add("webhook_url", "give a webhook address, or turn on browser notifications");
        var secret = string.IsNullOrEmpty(Secret) ? null : Secret;
        if (secret is not null && url is null) errors.Add("secret", "a secret signs webhooks: give a webhook address too");
        if (secret?.Length > AlertRule.SecretLength) errors.Add("secret", $"at most {AlertRule.SecretLength} characters");

        if (errors.Any) return null;
        return new AlertRule
        {
            Owner = owner, Project = project, OnlyMine = OnlyMine, Events = string.Join(",", AlertEvents.RunEnds.Where(Events.Contains)),
            MetricKey = metric, Comparison = metric is null ? null : comparison, Threshold = threshold,
            WebhookUrl = url, Secret = secret, Browser = Browser, CreatedAt = DateTime.UtcNow,
        };
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ProjectRegex();

    [GeneratedRegex("^[A-Za-z0-9_/.-]{1,64}$")]
    private static partial Regex MetricRegex();

    /// <summary>The API takes the threshold as a JSON number (or as text, as the form has it).</summary>
    private sealed class NumberOrTextConverter : JsonConverter<string?>
    {
        public override string? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                System.Text.Json.JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                System.Text.Json.JsonTokenType.Null => null,
                _ => reader.GetString(),
            };

        public override void Write(System.Text.Json.Utf8JsonWriter writer, string? value, System.Text.Json.JsonSerializerOptions options) =>
            writer.WriteStringValue(value);
    }
}
