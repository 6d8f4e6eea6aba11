using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Dashboard.Data;
using Dashboard.Training;
using Dashboard.Training.Alerts;
using Dashboard.Training.Worker;

// `train SPEC.json [--device D]`: one run here and now, progress on stdout, final metrics as JSON on the last line.
if (args.Length > 0 && args[0] == "train")
    return TrainCommand.Run(args[1..]);

// `datasets fetch mnist|cifar10`: downloads a dataset into the folder the loader reads.
if (args.Length > 0 && args[0] == "datasets")
    return DatasetsCommand.Run(args[1..]);

// `health`: whether this machine's worker is beating (a container healthcheck).
if (args.Length > 0 && args[0] == "health")
    return await HealthCommand.RunAsync(new ConfigurationBuilder().SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables().AddCommandLine(args[1..]).Build());

// Otherwise a standalone GPU worker of a cluster: takes queued runs from the shared PostgreSQL.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddDashboardData(builder.Configuration);
builder.Services.AddDashboardWorker(builder.Configuration);
builder.Services.AddDashboardAlerts(builder.Configuration);

var host = builder.Build();
var storage = host.Services.GetRequiredService<StorageOptions>();
if (storage.Provider != StorageProvider.Postgres)
{
    Console.Error.WriteLine("A standalone worker needs ConnectionStrings:Dashboard to name the cluster's PostgreSQL " +
                            "(e.g. ConnectionStrings__Dashboard=\"Host=db;Database=dashboard;Username=...;Password=...\"). " +
                            "In the embedded mode the web process trains runs itself.");
    return 2;
}
await DatabaseSetup.MigrateAsync(storage);
await host.RunAsync();
return 0;
