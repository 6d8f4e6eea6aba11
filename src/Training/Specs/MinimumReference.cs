using System.Globalization;
using System.Text.RegularExpressions;

namespace Dashboard.Training.Specs;

/// <summary>
/// A loss_func.minima_from entry naming a minimum another run captured (loss_func.capture_epochs):
/// "mnist/00003@epoch-3", or with the epoch padded as the file is, "mnist/00003@epoch-0003".
/// </summary>
public sealed partial record MinimumReference(string Project, int Number, int Epoch)
{
    public string RunName => $"{Project}/{Number:D5}";
    /// <summary>The file the trainer captured it to in the run's checkpoint folder (<see cref="Engine.Minima.Capture"/>).</summary>
    public string File => FileOf(Epoch);

    public override string ToString() => $"{RunName}@epoch-{Epoch.ToString(CultureInfo.InvariantCulture)}";

    public static string FileOf(int epoch) => $"minimum-epoch-{epoch:D4}.f32";

    /// <summary>Whether the entry is meant as a captured minimum (it names something after '@'), well formed or not.</summary>
    public static bool LooksLikeOne(string text) => text.Contains('@', StringComparison.Ordinal);

    public static MinimumReference? Parse(string text)
    {
        var m = Pattern().Match(text);
        if (!m.Success) return null;
        int epoch = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        return epoch < 1 ? null : new MinimumReference(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), epoch);
    }

    /// <summary>The epoch of a captured minimum's file name, or null for any other file.</summary>
    public static int? EpochOfFile(string fileName)
    {
        var m = FilePattern().Match(fileName);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    public const string Format = "project/NNNNN@epoch-N (e.g. mnist/00003@epoch-3; a run page's Minima section lists them)";

    [GeneratedRegex(@"^([A-Za-z0-9_-]{1,64})/(\d{1,9})@epoch-(\d{1,6})$")]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^minimum-epoch-(\d{4,6})\.f32$")]
    private static partial Regex FilePattern();
}
