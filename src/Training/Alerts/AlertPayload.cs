using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dashboard.Data;

namespace Dashboard.Training.Alerts;

/// <summary>
/// The JSON a webhook receives, fixed when the alert fires: the event, a one-line summary (also as "text", which Slack's
/// and Mattermost's incoming webhooks show as it is), the run with a link to its page, its metrics, and for a threshold
/// the value that crossed it.
/// </summary>
public static class AlertPayload
{
    /// <summary>What crossed: the rule's threshold and the run's value beyond it.</summary>
    public sealed record Crossing(string Key, string Comparison, double Threshold, double Reached);

    public static string Summary(Run run, string @event, Crossing? crossing) => crossing is { } c
        ? $"{run.DisplayName}: {c.Key} reached {Number(c.Reached)} ({c.Comparison} {Number(c.Threshold)})"
        : $"{run.DisplayName} {AlertEvents.Label(@event)}" + (run.Error is { Length: > 0 } e && @event != AlertEvents.Finished ? $": {e}" : "");

    public static string Build(AlertRule rule, Run run, string @event, IReadOnlyList<MetricSummary> metrics, Crossing? crossing, string link, DateTime time)
    {
        var summary = Summary(run, @event, crossing);
        var body = new JsonObject
        {
            ["event"] = @event,
            ["summary"] = summary,
            ["text"] = $"{summary} {link}",
            ["time"] = time.ToString("O", CultureInfo.InvariantCulture),
            ["rule"] = new JsonObject
            {
                ["id"] = rule.Id, ["owner"] = rule.Owner, ["project"] = rule.Project, ["threshold"] = rule.ThresholdText,
            },
            ["run"] = new JsonObject
            {
                ["id"] = run.Id, ["name"] = run.DisplayName, ["project"] = run.Project, ["status"] = run.Status,
                ["error"] = run.Error, ["epoch"] = run.Epoch, ["max_epochs"] = run.MaxEpochs,
                ["diverged_at_step"] = run.DivergedAtStep, ["launched_by"] = run.LaunchedBy,
                ["params"] = JsonNode.Parse(run.Params), ["url"] = link,
            },
            ["metrics"] = new JsonObject(metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m =>
                KeyValuePair.Create(m.Key, (JsonNode?)new JsonObject
                {
                    ["last"] = Finite(m.LastValue), ["min"] = Finite(m.MinValue), ["max"] = Finite(m.MaxValue), ["step"] = m.LastStep,
                }))),
        };
        if (crossing is { } c)
            body["threshold"] = new JsonObject { ["key"] = c.Key, ["comparison"] = c.Comparison, ["value"] = c.Threshold, ["reached"] = Finite(c.Reached) };
        return body.ToJsonString(Json);
    }

    /// <summary>A test post: what a receiver gets, without a run.</summary>
    public static string Test(AlertRule rule, string summary, DateTime time) => new JsonObject
    {
        ["event"] = AlertEvents.Test,
        ["summary"] = summary,
        ["text"] = summary,
        ["time"] = time.ToString("O", CultureInfo.InvariantCulture),
        ["rule"] = new JsonObject { ["id"] = rule.Id, ["owner"] = rule.Owner, ["project"] = rule.Project, ["threshold"] = rule.ThresholdText },
    }.ToJsonString(Json);

    // Read by programs, never put into a page as it is: "val_accuracy > 0.9" rather than "\u003E".
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // JSON has no NaN or infinity: a diverged run's loss is sent as null.
    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static string Number(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
