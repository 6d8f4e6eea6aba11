using System.Text.RegularExpressions;

namespace Dashboard.Training.Worker;

/// <summary>
/// The Hangfire queues ensembles are evaluated from: one any worker takes (its members' checkpoints are in a shared
/// data folder), and one per machine for checkpoints only that machine's disk holds.
/// </summary>
public static partial class EnsembleQueues
{
    public const string Any = "ensembles";

    /// <summary>The queue of a machine (the first part of an attempt's host, machine:pid:tag). Hangfire takes lowercase
    /// letters, digits, '_' and '-' in a queue's name.</summary>
    public static string Of(string machine) => "ensembles-" + NotAllowed().Replace(machine.ToLowerInvariant(), "_");

    /// <summary>The machine of a host name as attempts record it (machine:pid:tag).</summary>
    public static string MachineOf(string host) => host.Split(':')[0];

    [GeneratedRegex("[^a-z0-9_-]")]
    private static partial Regex NotAllowed();
}
