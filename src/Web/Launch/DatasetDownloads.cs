using Dashboard.Training;
using Dashboard.Training.Datasets;
using Microsoft.Extensions.Options;

namespace Dashboard.Web.Launch;

/// <summary>
/// The form's dataset downloads, run on this web node into the folders its loader reads (the embedded worker's, and
/// on a cluster the shared one the worker hosts are configured with). One download per dataset at a time, kept here
/// rather than in a page, so that it goes on when the page is closed and a second page shows the same progress.
/// </summary>
public sealed class DatasetDownloads(IOptions<TrainingOptions> training, IOptions<DatasetFetchOptions> fetch, ILogger<DatasetDownloads> log)
{
    /// <summary>Where a download stands: its latest progress while it runs, then done or its error.</summary>
    public sealed record State(bool Running, FetchProgress? Progress, string? Error, bool Done);

    private readonly Dictionary<string, State> _states = [];

    private Action<string>[] _handlers = [];

    /// <summary>
    /// <paramref name="handler"/> hears the dataset's name at each progress step and at the end, on the download's
    /// thread (a component hands it to InvokeAsync); until the subscription is disposed.
    /// </summary>
    public IDisposable Subscribe(Action<string> handler)
    {
        lock (_states) _handlers = [.. _handlers, handler];
        return new Subscription(() => { lock (_states) _handlers = [.. _handlers.Where(h => h != handler)]; });
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }

    private void Publish(string dataset)
    {
        foreach (var h in Volatile.Read(ref _handlers))
        {
            try { h(dataset); }
            catch (Exception e) { log.LogWarning(e, "a dataset download subscriber failed"); }  // never the download itself
        }
    }

    public static bool CanFetch(string dataset) => DatasetFetcher.Datasets.Contains(dataset);

    /// <summary>The folder the loader reads <paramref name="dataset"/> from, as a full path.</summary>
    public string FolderOf(string dataset) => Path.GetFullPath(DatasetFetcher.FolderOf(dataset, training.Value));

    public bool IsPresent(string dataset) => DatasetFetcher.IsPresent(dataset, FolderOf(dataset));

    public IReadOnlyList<string> MirrorsOf(string dataset) => fetch.Value.MirrorsOf(dataset);

    public State? StateOf(string dataset)
    {
        lock (_states) return _states.GetValueOrDefault(dataset);
    }

    /// <summary>Starts fetching <paramref name="dataset"/> unless it is being fetched already.</summary>
    public void Start(string dataset)
    {
        if (!CanFetch(dataset)) throw new ArgumentException($"unknown dataset '{dataset}': {DatasetFetcher.Choices}");
        lock (_states)
        {
            if (_states.GetValueOrDefault(dataset) is { Running: true }) return;
            _states[dataset] = new State(true, null, null, false);
        }
        Publish(dataset);
        _ = Task.Run(() => FetchAsync(dataset));
    }

    private async Task FetchAsync(string dataset)
    {
        var folder = FolderOf(dataset);
        State end;
        try
        {
            using var fetcher = new DatasetFetcher(fetch.Value);
            await fetcher.FetchAsync(dataset, folder, line => log.LogInformation("{Dataset}: {Line}", dataset, line),
                p => Set(dataset, new State(true, p, null, false)));
            end = new State(false, null, null, true);
        }
        catch (Exception e)  // any failure ends the state: one left running would block every later Start
        {
            log.LogWarning("{Dataset}: download failed: {Error}", dataset, e.Message);
            end = new State(false, null, e.Message, false);
        }
        Set(dataset, end);
    }

    private void Set(string dataset, State state)
    {
        lock (_states) _states[dataset] = state;
        Publish(dataset);
    }
}
