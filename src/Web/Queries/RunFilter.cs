using System.Globalization;

namespace Dashboard.Web.Queries;

/// <summary>One filter of the runs table: key, operator, value (e.g. optimizer.lr=0.01, val_accuracy.max&gt;0.8).</summary>
public sealed record RunFilter(string Key, string Op, string Value)
{
    private static readonly string[] Ops = [">=", "<=", "!=", "=", ">", "<", "~"];

    public string Text => $"{Key}{Op}{Value}";

    public static bool TryParse(string text, out RunFilter? filter)
    {
        filter = null;
        // The first operator found from the left; two-character ones are tried before their one-character prefixes.
        int best = -1; string? op = null;
        foreach (var o in Ops)
        {
            var i = text.IndexOf(o, StringComparison.Ordinal);
            if (i > 0 && (best < 0 || i < best || (i == best && o.Length > op!.Length))) { best = i; op = o; }
        }
        if (op is null) return false;
        var key = text[..best].Trim();
        var value = text[(best + op.Length)..].Trim();
        if (key.Length == 0 || value.Length == 0) return false;
        filter = new RunFilter(key, op, value);
        return true;
    }

    public bool Matches(string? actual)
    {
        if (actual is null) return Op == "!=";
        bool numbers = double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                       & double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v);
        int cmp = numbers ? a.CompareTo(v) : string.Compare(actual.Trim('"'), Value.Trim('"'), StringComparison.OrdinalIgnoreCase);
        return Op switch
        {
            "=" => cmp == 0,
            "!=" => cmp != 0,
            ">" => cmp > 0,
            ">=" => cmp >= 0,
            "<" => cmp < 0,
            "<=" => cmp <= 0,
            _ => actual.Contains(Value, StringComparison.OrdinalIgnoreCase),
        };
    }
}

