using Dashboard.Data;
using Dashboard.Training.Worker;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Web.Queries;

/// <summary>Every worker host with its devices, slots, heartbeat and the runs it trains now (workers page and GET /api/workers).</summary>
public static class WorkerList
{
    /// <param name="Devices">What the host trains on, as its heartbeat described it (CPU model and threads, GPU name and memory).</param>
    /// <param name="Slots">Runs the host trains at the same time (Worker:Slots); the runs share its devices.</param>
    /// <param name="Busy">Slots taken by runs now.</param>
    /// <param name="CpuPercent">The worker process's CPU at its last sample (100 = one core), shared by the runs in its slots.</param>
    /// <param name="Gpus">Each GPU's figures at its last sample; none on a host without GPUs or without nvidia-smi.</param>
    public sealed record WorkerView(string Name, string Devices, int Slots, int Busy, DateTime StartedAt, DateTime HeartbeatAt,
        bool Alive, double SecondsSinceHeartbeat, IReadOnlyList<string> Runs,
        double? CpuPercent, double? RssGib, double? HostMemoryGib, double? HostMemoryTotalGib, IReadOnlyList<GpuFigures> Gpus);

    public static async Task<List<WorkerView>> ListAsync(DashboardDb db, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var hosts = await db.WorkerHosts.AsNoTracking().OrderBy(w => w.Name).ToListAsync(ct);
        var training = await db.RunAttempts.AsNoTracking().Where(a => a.EndedAt == null)
            .Join(db.Runs, a => a.RunId, r => r.Id, (a, r) => new { a.Host, r.Project, r.Number, r.Status })
            .Where(x => x.Status == RunStatus.Running).ToListAsync(ct);
        return hosts.Select(h => new WorkerView(h.Name, h.Devices, h.Slots, h.Busy, h.StartedAt, h.HeartbeatAt,
            now - h.HeartbeatAt < WorkerHeartbeat.LostAfter, Math.Round((now - h.HeartbeatAt).TotalSeconds, 1),
            training.Where(t => t.Host == h.Name).Select(t => Run.NameOf(t.Project, t.Number)).ToList(),
            h.CpuPercent, h.RssGib, h.HostMemoryGib, h.HostMemoryTotalGib, GpuFigures.FromJson(h.GpuFigures))).ToList();
    }
}
