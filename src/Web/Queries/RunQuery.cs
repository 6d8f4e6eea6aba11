using System.Globalization;
using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Queries;

/// <summary>
/// The runs table's question, from the query string of the page or of GET /api/runs: filters by status, tag, text,
/// experiment, parameter or metric, sorting by any column, a final, best, min or max metric, and a page of rows.
/// Status, tag, text and experiment filter in SQL; parameters and metrics, which live in JSON and in the summary
/// rows, filter in memory over the remaining runs' small columns (thousands of runs take milliseconds).
/// </summary>
public sealed record RunQuery
{
    public string[] Statuses { get; init; } = [];
    public string? Tag { get; init; }
    public string? Project { get; init; }
    public string? Text { get; init; }
    public long? ExperimentId { get; init; }
    public IReadOnlyList<RunFilter> Filters { get; init; } = [];
    public string Sort { get; init; } = "created";
    public bool Descending { get; init; } = true;
    public int Offset { get; init; }
    public int Limit { get; init; } = 100;
    public long[] Ids { get; init; } = [];

    public const int MaxLimit = 1000;

    /// <summary>Metric columns every table shows; any other metric can be filtered and sorted on by name.</summary>
    public static readonly MetricRef[] DefaultColumns =
        [new("loss", "last"), new("val_loss", "min"), new("val_accuracy", "last"), new("val_accuracy", "max")];

    /// <summary>The model's size, stored with the run (migration 0011): sortable and filterable like a parameter.</summary>
    public static readonly string[] SizeKeys = [RunRow.ParameterCountKey, RunRow.FlopsPerSampleKey];

    public static readonly string[] FixedSorts = ["created", "name", "status", "progress", "duration", .. SizeKeys];

    /// <summary>Reads the query string; a bad filter, sort or number is reported against its parameter.</summary>
    public static RunQuery Parse(IQueryCollection q, Dictionary<string, string[]> errors)
    {
        var query = new RunQuery
        {
            Statuses = Split((IEnumerable<string?>)q["status"]).ToArray(),
            Tag = NullIfEmpty(q["tag"]),
            Project = NullIfEmpty(q["project"]),
            Text = NullIfEmpty(q["q"]),
        };
        foreach (var s in query.Statuses)
            if (!RunStatus.Finished.Append(RunStatus.Queued).Append(RunStatus.Running).Contains(s))
                errors["status"] = [$"unknown status '{s}'"];
        if (NullIfEmpty(q["experiment"]) is { } e)
        {
            if (long.TryParse(e, out var id)) query = query with { ExperimentId = id };
            else errors["experiment"] = ["must be an experiment id"];
        }
        if (NullIfEmpty(q["ids"]) is { } idList)
        {
            var ids = new List<long>();
            foreach (var part in Split(idList))
                if (long.TryParse(part, out var id)) ids.Add(id);
                else errors["ids"] = [$"'{part}' is not a run id"];
            query = query with { Ids = [.. ids] };
        }
        var filters = new List<RunFilter>();
        foreach (var text in q["filter"].SelectMany(f => (f ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (RunFilter.TryParse(text, out var filter)) filters.Add(filter!);
            else errors["filter"] = [$"'{text}' is not a filter; write key=value, key>number (also <, >=, <=, !=, ~ for 'contains'), e.g. optimizer.lr=0.01 or val_accuracy.max>0.8"];
        }
        query = query with { Filters = filters };
        if (NullIfEmpty(q["sort"]) is { } sort) query = query with { Sort = sort };
        if (NullIfEmpty(q["order"]) is { } order)
        {
            if (order is "asc" or "desc") query = query with { Descending = order == "desc" };
            else errors["order"] = ["must be asc or desc"];
        }
        if (NullIfEmpty(q["limit"]) is { } limit)
        {
            if (int.TryParse(limit, out var n) && n is >= 1 and <= MaxLimit) query = query with { Limit = n };
            else errors["limit"] = [$"must be between 1 and {MaxLimit}"];
        }
        if (NullIfEmpty(q["offset"]) is { } offset)
        {
            if (int.TryParse(offset, out var n) && n >= 0) query = query with { Offset = n };
            else errors["offset"] = ["must be 0 or more"];
        }
        return query;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static IEnumerable<string> Split(IEnumerable<string?> values) =>
        values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static IEnumerable<string> Split(string value) => Split(new[] { value });

    public async Task<RunQueryResult> RunAsync(DashboardDb db, Dictionary<string, string[]> errors, CancellationToken ct = default)
    {
        var runs = db.Runs.AsNoTracking();
        if (Statuses.Length > 0) runs = runs.Where(r => Statuses.Contains(r.Status));
        if (ExperimentId is { } e) runs = runs.Where(r => r.ExperimentId == e);
        if (Project is { } project) runs = runs.Where(r => r.Project == project);
        if (Ids.Length > 0) runs = runs.Where(r => Ids.Contains(r.Id));
        if (Tag is { } tag)
        {
            // Tags are stored "a,b,c": match whole entries only.
            var t = tag.ToLower();
            runs = runs.Where(r => ("," + r.Tags.ToLower() + ",").Contains("," + t + ","));
        }
        if (Text is { } text)
        {
            var t = text.ToLower();
            runs = runs.Where(r => (r.Project + "/").ToLower().Contains(t) || r.Notes.ToLower().Contains(t) || r.Tags.ToLower().Contains(t));
        }

        // Which names are metrics: needed only to read a filter or a sort that is not a column of the runs table.
        var metricKeys = Filters.Count == 0 && FixedSorts.Contains(Sort) ? []
            : await db.MetricSummaries.Select(s => s.Key).Distinct().ToListAsync(ct);
        var refs = Filters.Select(f => f.Key).Append(Sort).Select(k => MetricRef.TryParse(k, metricKeys)).OfType<MetricRef>()
            .Concat(DefaultColumns).Distinct().ToList();
        var paramKeys = Filters.Select(f => f.Key).Append(Sort)
            .Where(k => !FixedSorts.Contains(k) && MetricRef.TryParse(k, metricKeys) is null).Distinct().ToList();
        // The spec is read only when a filter or the sort names a key no sweep set.
        bool needSpec = paramKeys.Count > 0;

        // Sorted by a column and filtered by columns only: the database pages, and only the page's rows are read.
        // Parameters and metrics live in JSON and summary rows, so those filters and sorts read every candidate.
        bool paged = Filters.Count == 0 && Sort is "created" or "name" or "status";
        int total = paged ? await runs.CountAsync(ct) : 0;
        if (paged)
        {
            runs = (Sort, Descending) switch
            {
                ("name", false) => runs.OrderBy(r => r.Project).ThenBy(r => r.Number),
                ("name", true) => runs.OrderByDescending(r => r.Project).ThenByDescending(r => r.Number),
                ("status", false) => runs.OrderBy(r => r.Status).ThenByDescending(r => r.Id),
                ("status", true) => runs.OrderByDescending(r => r.Status).ThenByDescending(r => r.Id),
                (_, false) => runs.OrderBy(r => r.Id),
                _ => runs.OrderByDescending(r => r.Id),
            };
            runs = runs.Skip(Offset).Take(Limit);
        }

        var rows = await runs.Select(r => new RunRow
        {
            Id = r.Id, Project = r.Project, Number = r.Number, Status = r.Status, Epoch = r.Epoch, MaxEpochs = r.MaxEpochs,
            CreatedAt = r.CreatedAt, StartedAt = r.StartedAt, FinishedAt = r.FinishedAt, DivergedAtStep = r.DivergedAtStep,
            Tags = r.Tags, ParamsJson = r.Params, SpecJson = needSpec ? r.Spec : null, ExperimentId = r.ExperimentId,
            Error = r.Error, ParameterCount = r.ParameterCount, FlopsPerSample = r.FlopsPerSample,
        }).ToListAsync(ct);

        var wantedKeys = refs.Select(r => r.Key).Distinct().ToList();
        var ids = rows.Select(r => r.Id).ToList();
        // One query for the summaries of every listed run; the IN list is avoided when the filter already is "all runs".
        var summaries = await db.MetricSummaries.AsNoTracking().Where(s => wantedKeys.Contains(s.Key))
            .Where(s => rows.Count > 2000 || ids.Contains(s.RunId)).ToListAsync(ct);
        var byRun = summaries.GroupBy(s => s.RunId).ToDictionary(g => g.Key, g => g.ToDictionary(s => s.Key));
        foreach (var row in rows) row.Summaries = byRun.GetValueOrDefault(row.Id) ?? [];
        if (paged)
        {
            var shown = rows.SelectMany(r => r.Params.Select(kv => kv.Key)).Distinct().Order().ToList();
            return new RunQueryResult(total, rows, shown, DefaultColumns);
        }

        IEnumerable<RunRow> kept = rows;
        foreach (var filter in Filters)
        {
            var metric = MetricRef.TryParse(filter.Key, metricKeys);
            // A key no run has is a typo (val_acuracy.max), not "no run matches": named, as an unknown sort key is.
            if (metric is null && !SizeKeys.Contains(filter.Key) && rows.Count > 0 && rows.All(r => r.Param(filter.Key) is null))
            {
                errors["filter"] = [$"no run has '{filter.Key}': filter by a parameter such as optimizer.lr, {string.Join(", ", SizeKeys)}, " +
                                    $"or a metric ({string.Join(", ", metricKeys.Order().Take(12))}) as key, key.min, key.max or key.best"];
                continue;
            }
            kept = kept.Where(r => filter.Matches(metric is null ? r.Value(filter.Key) : Format(r.Metric(metric))));
        }
        var list = kept.ToList();

        Func<RunRow, IComparable?> key = Sort switch
        {
            "created" => r => r.Id,
            "name" => r => r.DisplayName,
            "status" => r => r.Status,
            "progress" => r => r.MaxEpochs == 0 ? 0 : (double)r.Epoch / r.MaxEpochs,
            "duration" => r => r.Duration?.TotalSeconds,
            RunRow.ParameterCountKey => r => r.ParameterCount,
            RunRow.FlopsPerSampleKey => r => r.FlopsPerSample,
            _ when MetricRef.TryParse(Sort, metricKeys) is { } m => r => r.Metric(m),
            _ => r => SortValue(r.Param(Sort)),
        };
        if (!FixedSorts.Contains(Sort) && MetricRef.TryParse(Sort, metricKeys) is null && list.All(r => r.Param(Sort) is null) && list.Count > 0)
            errors["sort"] = [$"no listed run has '{Sort}': sort by {string.Join(", ", FixedSorts)}, a parameter such as optimizer.lr, or a metric such as val_loss.min"];
        // Runs without the value go last whichever the order, as spreadsheets do.
        var sorted = (Descending ? list.OrderBy(r => key(r) is null).ThenByDescending(key) : list.OrderBy(r => key(r) is null).ThenBy(key))
            .ThenByDescending(r => r.Id).ToList();

        var columns = sorted.SelectMany(r => r.Params.Select(kv => kv.Key)).Distinct().Order().ToList();
        return new RunQueryResult(sorted.Count, sorted.Skip(Offset).Take(Limit).ToList(), columns, refs.Where(r => DefaultColumns.Contains(r) || r.ToString() == Sort).ToList());
    }

    private static IComparable? SortValue(string? text) =>
        text is null ? null : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (IComparable)d : text;

    private static string? Format(double? v) => v?.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The query string for this query with some parameters changed (links in the table's headers and pager).</summary>
    public string ToQueryString(string? sort = null, bool? descending = null, int? offset = null)
    {
        var parts = new List<string>();
        void Add(string name, string? value) { if (!string.IsNullOrEmpty(value)) parts.Add($"{name}={Uri.EscapeDataString(value)}"); }
        Add("status", string.Join(",", Statuses));
        Add("tag", Tag);
        Add("project", Project);
        Add("q", Text);
        if (Filters.Count > 0) Add("filter", string.Join("; ", Filters.Select(f => f.Text)));
        var s = sort ?? Sort;
        if (s != "created") Add("sort", s);
        var d = descending ?? Descending;
        if (!d) Add("order", "asc");
        var o = offset ?? Offset;
        if (o > 0) Add("offset", o.ToString(CultureInfo.InvariantCulture));
        if (Limit != 100) Add("limit", Limit.ToString(CultureInfo.InvariantCulture));
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}

public sealed record RunQueryResult(int Total, IReadOnlyList<RunRow> Rows, IReadOnlyList<string> ParamColumns, IReadOnlyList<MetricRef> MetricColumns);
