namespace Dashboard.Data;

/// <summary>
/// This process as the cluster knows it: attempts, the Workers page, and PostgreSQL's application_name on each of its
/// connections (so that a host taking over a silent host's run can end that host's sessions and the locks they hold).
/// </summary>
public static class ProcessIdentity
{
    /// <summary>
    /// machine:pid:tag. The tag is new at every start: in a container every worker is process 1, and one restarted
    /// under the same name must not be taken for its predecessor (whose runs would then look alive). Short enough (a
    /// long machine name is cut) to be PostgreSQL's application_name whole, which keeps 63 bytes.
    /// </summary>
    public static readonly string Name = $"{Machine}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..4]}";

    /// <summary>This machine as the first part of <see cref="Name"/>: the machine name, cut to 40 characters.</summary>
    public static string Machine => Environment.MachineName.Length <= 40 ? Environment.MachineName : Environment.MachineName[..40];
}
