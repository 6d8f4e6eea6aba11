using Dashboard.Training.Datasets;

namespace Dashboard.Training;

/// <summary>
/// `datasets fetch mnist|cifar10 [--dir DIR]`: downloads a dataset into the folder the loader reads it from
/// (Training:MnistDir, Training:Cifar10Dir), or DIR, with a progress line every 10% of each file.
/// </summary>
public static class DatasetsCommand
{
    private const string Usage = "usage: datasets fetch mnist|cifar10 [--dir DIR]";

    public static int Run(string[] args) =>
        Run(args, TrainingOptions.FromConfiguration(), DatasetFetchOptions.FromConfiguration());

    public static int Run(string[] args, TrainingOptions training, DatasetFetchOptions options)
    {
        if (args.Length < 2 || args[0] != "fetch")
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var dataset = args[1];
        if (!DatasetFetcher.Datasets.Contains(dataset))
        {
            Console.Error.WriteLine($"unknown dataset '{dataset}': datasets fetch takes {DatasetFetcher.Choices}\n{Usage}");
            return 2;
        }
        string? dir = null;
        for (int i = 2; i < args.Length; i++)
        {
            if (args[i] == "--dir" && i + 1 < args.Length) dir = args[++i];
            else { Console.Error.WriteLine($"unknown option {args[i]}\n{Usage}"); return 2; }
        }
        var folder = Path.GetFullPath(dir ?? DatasetFetcher.FolderOf(dataset, training));
        using var fetcher = new DatasetFetcher(options);
        int lastTenth = -1;
        try
        {
            Console.WriteLine($"fetching {dataset} into {folder}");
            fetcher.FetchAsync(dataset, folder, Console.WriteLine, p =>
            {
                // A line at each tenth (0%, 10%, ... 100%), or each 10 MB when the server gives no size.
                int tenth = p.Percent is { } percent ? percent / 10 : (int)(p.Bytes / 10_000_000);
                if (p.Bytes == 0) lastTenth = -1;
                if (tenth == lastTenth) return;
                lastTenth = tenth;
                Console.WriteLine($"  {p.File} ({p.Index} of {p.Files}): {p.Describe()}");
            }).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is DatasetFetchException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        Console.WriteLine($"{dataset} is ready in {folder}");
        return 0;
    }
}
