using System.Globalization;

namespace Dashboard.Web.Queries;

/// <summary>A comma-separated list of run ids in a query string (?runs=1,2,3), as the runs table links them; read by the compare page and the endpoints alike.</summary>
public static class RunIds
{
    /// <summary>The ids in the order given, each once; or why the text is not such a list.</summary>
    public static bool TryParse(string? text, int max, out long[] ids, out string error)
    {
        ids = [];
        error = "";
        var parts = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            error = "required: run ids separated by commas, e.g. 1,2,3";
            return false;
        }
        var list = new List<long>(parts.Length);
        foreach (var p in parts)
        {
            if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
            {
                error = $"'{p}' is not a run id (a positive whole number)";
                return false;
            }
            if (!list.Contains(id)) list.Add(id);
        }
        if (list.Count > max)
        {
            error = $"at most {max:N0} runs at a time, got {list.Count:N0}";
            return false;
        }
        ids = [.. list];
        return true;
    }
}
