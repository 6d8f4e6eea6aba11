using Dashboard.Data;
using Dashboard.Training.Datasets;
using Dashboard.Training.Engine;
using Dashboard.Training.Specs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dashboard.Training.Worker;

/// <summary>
/// Evaluates one stored ensemble on a worker that reads its members' checkpoints: finds each member's checkpoint,
/// runs <see cref="EnsembleEvaluation"/> off the thread pool, stores the progress as members are evaluated, then the
/// figures, or the reason it could not be evaluated. A job for an ensemble already done or failed does nothing.
/// </summary>
public sealed class EnsembleJob(IDbContextFactory<DashboardDb> dbs, StorageOptions storage, IOptions<TrainingOptions> training,
    IOptions<WorkerOptions> worker, IHostApplicationLifetime host, ILogger<EnsembleJob> log)
{
    // For the database being away before the evaluation starts; what goes wrong in it ends the ensemble as failed.
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [5, 20, 60])]
    public async Task RunAsync(long ensembleId)
    {
        var stopping = host.ApplicationStopping;
        await using var db = await dbs.CreateDbContextAsync(stopping);
        var ensemble = await db.Ensembles.Include(e => e.Members).ThenInclude(m => m.Run).FirstOrDefaultAsync(e => e.Id == ensembleId, stopping);
        if (ensemble is null || EnsembleStatus.IsFinished(ensemble.Status)) return;
        ensemble.Status = EnsembleStatus.Running;
        ensemble.StartedAt = DateTime.UtcNow;
        ensemble.Evaluated = 0;
        await db.SaveChangesAsync(stopping);
        var members = ensemble.Members.OrderBy(m => m.Position).ToList();
        try
        {
            var inputs = members.Select(m => Input(m, ensemble.Checkpoint)).ToList();
            var result = await Task.Factory.StartNew(() => EnsembleEvaluation.Evaluate(inputs, Load, DeviceOf, n => Progress(ensembleId, n), stopping),
                stopping, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            for (int i = 0; i < members.Count; i++)
            {
                members[i].CheckpointFile = Path.GetFileName(inputs[i].Checkpoint);
                (members[i].Accuracy, members[i].Loss, members[i].Ap) = Stored(result.Members[i]);
            }
            (ensemble.Accuracy, ensemble.Loss, ensemble.Ap) = Stored(result.Ensemble);
            (ensemble.Samples, ensemble.Classes, ensemble.Evaluated) = (result.Samples, result.Classes, members.Count);
            ensemble.Status = EnsembleStatus.Done;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // This host shuts down: queued again, and Hangfire hands the job out again.
            await Reset(ensembleId);
            throw;
        }
        // A refusal, a file that does not read, a model libtorch cannot run: said on the ensemble's page, not retried.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("Ensemble {Ensemble} not evaluated: {Reason}", ensembleId, e.Message);
            ensemble.Status = EnsembleStatus.Failed;
            ensemble.Error = e.Message;
        }
        ensemble.FinishedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>The member's checkpoint on this host's disk, and the spec it trained with.</summary>
    private EnsembleInput Input(EnsembleMember member, string which)
    {
        var run = member.Run!;
        var dir = storage.CheckpointDir(run.Id);
        string? file = which == EnsembleCheckpoint.Best ? Path.Combine(dir, "best.pt") : Checkpoints.Latest(dir);
        if (file is null || !File.Exists(file))
            throw new EnsembleRefusedException(which == EnsembleCheckpoint.Best
                ? $"{run.DisplayName} has no best checkpoint (best.pt) in {dir}: its spec keeps none (checkpoint.keep_best)"
                : $"{run.DisplayName} has no checkpoint in {dir} on {ProcessIdentity.Machine}");
        ExperimentSpec spec;
        try { spec = SpecJson.Parse(run.Spec); }
        catch (InvalidSpecException) { throw new EnsembleRefusedException($"{run.DisplayName}'s spec no longer reads"); }
        return new EnsembleInput(run.DisplayName, spec, file);
    }

    private TrainingData Load(ExperimentSpec spec)
    {
        Confinement.Check([spec], training.Value, storage.DataDir);
        return DatasetLoader.Load(spec.Dataset!, spec.Seed, training.Value);
    }

    // On the member's own device where this host has it; the CPU otherwise (inference needs no GPU of its own).
    private string DeviceOf(ExperimentSpec spec) => worker.Value.Devices.Contains(spec.Device) ? spec.Device : "cpu";

    private void Progress(long ensembleId, int evaluated)
    {
        using var db = dbs.CreateDbContext();
        db.Ensembles.Where(e => e.Id == ensembleId).ExecuteUpdate(u => u.SetProperty(e => e.Evaluated, evaluated));
    }

    private async Task Reset(long ensembleId)
    {
        await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
        await db.Ensembles.Where(e => e.Id == ensembleId).ExecuteUpdateAsync(u => u
            .SetProperty(e => e.Status, EnsembleStatus.Queued).SetProperty(e => e.Evaluated, 0), CancellationToken.None);
    }

    // SQLite keeps no NaN (an AP with no class that has a positive): stored as null, shown as such.
    private static (double?, double?, double?) Stored(EnsembleFigures f) => (Finite(f.Accuracy), Finite(f.Loss), Finite(f.Ap));
    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
