using Dashboard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Dashboard.Training.Worker;

/// <summary>
/// `health`: exit 0 when a worker on this machine has beaten its heart recently and the database answers; for a
/// container's healthcheck (the worker serves no HTTP). One line says what was found.
/// </summary>
public static class HealthCommand
{
    public static async Task<int> RunAsync(IConfiguration config)
    {
        var storage = new StorageOptions().BindFrom(config);
        try
        {
            await using var db = DataServices.Open(storage);
            var prefix = ProcessIdentity.Machine + ":";
            var latest = await db.WorkerHosts.AsNoTracking().Where(w => w.Name.StartsWith(prefix))
                .OrderByDescending(w => w.HeartbeatAt).FirstOrDefaultAsync();
            if (latest is null)
            {
                Console.WriteLine($"unhealthy: no worker on {Environment.MachineName} has reported");
                return 1;
            }
            var age = DateTime.UtcNow - latest.HeartbeatAt;
            bool fresh = age < WorkerHeartbeat.LostAfter;
            Console.WriteLine($"{(fresh ? "healthy" : "unhealthy")}: {latest.Name}, last heartbeat {age.TotalSeconds:F1} s ago, {latest.Busy} of {latest.Slots} slots busy");
            return fresh ? 0 : 1;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            Console.WriteLine($"unhealthy: the database does not answer ({e.Message})");
            return 1;
        }
    }
}
