using Dashboard.Data;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Worker;

/// <summary>
/// ASHA for one run of a sweep with early_stop: at each of its epoch ends, records the rungs it reached (with the value
/// of the sweep's metric) and decides, from the sweep's stored rung values alone, whether it goes on. The decision is a
/// function of the stored rows (<see cref="Asha.Decide"/>), so a process that dies after storing a row and before
/// stopping the run decides the same when the run resumes; nothing is decided twice.
/// </summary>
public sealed class EarlyStopping(long experimentId, long runId, AshaSpec spec, IDbContextFactory<DashboardDb> dbs)
{
    public AshaSpec Spec => spec;

    /// <summary>
    /// Records the rungs at or below <paramref name="epoch"/> that this run has no value for yet, with <paramref name="value"/>
    /// (its metric at this epoch), and returns what ASHA decides for it now (null before its first rung).
    /// </summary>
    public async Task<AshaDecision?> EpochEndedAsync(int epoch, double value, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The sweep's row first, with a write that changes nothing: a row lock on PostgreSQL, the write lock on SQLite.
        // Rows get their ids (the order ASHA judges by) and commit one sweep at a time, so no decision is made without
        // a row that would come before it when the rungs are recomputed.
        await db.Experiments.Where(e => e.Id == experimentId).ExecuteUpdateAsync(u => u.SetProperty(e => e.Name, e => e.Name), ct);
        var have = await db.RungArrivals.Where(a => a.RunId == runId).Select(a => a.RungEpoch).ToListAsync(ct);
        var now = DateTime.UtcNow;
        foreach (var rung in spec.RungEpochs.Where(r => r <= epoch && !have.Contains(r)))
            db.RungArrivals.Add(new RungArrival
            {
                ExperimentId = experimentId, RunId = runId, RungEpoch = rung, Epoch = epoch,
                Value = double.IsFinite(value) ? value : null, Time = now,
            });
        await db.SaveChangesAsync(ct);
        var rows = await ValuesAsync(db, experimentId, ct);
        await tx.CommitAsync(ct);
        return Asha.Decide(spec, rows, runId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>What ASHA decided so far for this run, from the stored rows (a run resumed after it was stopped stays stopped).</summary>
    public async Task<AshaDecision?> DecidedAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return Asha.Decide(spec, await ValuesAsync(db, experimentId, ct), runId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Every run's rung values, as <see cref="Asha.Rungs"/> takes them: run id to (epoch, value, row id).</summary>
    public static async Task<Dictionary<string, IReadOnlyList<EpochValue>>> ValuesAsync(DashboardDb db, long experimentId, CancellationToken ct = default)
    {
        var rows = await db.RungArrivals.AsNoTracking().Where(a => a.ExperimentId == experimentId)
            .Select(a => new { a.RunId, a.Epoch, a.Value, a.Id }).ToListAsync(ct);
        return rows.GroupBy(r => r.RunId).ToDictionary(
            g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture),
            g => (IReadOnlyList<EpochValue>)[.. g.Select(r => new EpochValue(r.Epoch, r.Value ?? double.NaN, r.Id))]);
    }
}
