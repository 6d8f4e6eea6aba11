using System.Globalization;
using System.Text.RegularExpressions;

namespace Dashboard.Training.Specs;

/// <summary>A spec's fork_from: a run by its name and one of its checkpoint files, "mnist/00003@epoch-0003" or "mnist/00003@best".</summary>
public sealed partial record ForkReference(string Project, int Number, string Checkpoint)
{
    public string RunName => $"{Project}/{Number:D5}";
    /// <summary>The checkpoint's .pt file name in the run's checkpoint folder.</summary>
    public string File => Checkpoint + ".pt";

    public override string ToString() => $"{RunName}@{Checkpoint}";

    public static ForkReference? Parse(string text)
    {
        var m = Pattern().Match(text);
        return m.Success ? new ForkReference(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), m.Groups[3].Value) : null;
    }

    [GeneratedRegex(@"^([A-Za-z0-9_-]{1,64})/(\d{1,9})@(epoch-\d{1,6}|best)$")]
    private static partial Regex Pattern();
}
