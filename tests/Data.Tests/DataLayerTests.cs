using Dashboard.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dashboard.Data.Tests;

/// <summary>The same data tests on a real SQLite file and on a real PostgreSQL.</summary>
public abstract class DataLayerTests
{
    protected abstract Task<StorageOptions> NewDatabaseAsync();

    internal static DashboardDb Open(StorageOptions storage) => DataServices.Open(storage);

    internal static async Task<long> AddRunAsync(StorageOptions storage, string project = "hps", int number = 1)
    {
        await using var db = Open(storage);
        var e = new Experiment { Name = project, Spec = "{}", CreatedAt = DateTime.UtcNow };
        e.Runs.Add(new Run { Project = project, Number = number, Spec = """{"max_epochs":3}""", CreatedAt = DateTime.UtcNow, MaxEpochs = 3 });
        db.Experiments.Add(e);
        await db.SaveChangesAsync();
        return e.Runs[0].Id;
    }

    [Fact]
    public async Task The_schema_is_created_on_first_start_and_starting_again_changes_nothing()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var id = await AddRunAsync(storage);
        await DatabaseSetup.MigrateAsync(storage);

        await using var db = Open(storage);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(["20261121000001_Initial", "20261121000002_MetricSummaries", "20261121000003_RunCancelRequest", "20261121000004_RunAttempts", "20261121000005_WorkerHosts", "20261121000006_RunAttemptDevices", "20261122000007_RunBrowser", "20261122000008_MetricPointsClustered", "20261122000009_Users", "20261205000010_DropOldJobStore", "20261205000011_RunModelSize", "20261206000012_RunAttemptEnvironment", "20261206000013_AdaptiveSweeps", "20261206000014_WorkerHostFigures", "20261206000015_Alerts", "20261206000016_RunFork", "20261206000017_Ensembles"],
            await db.Database.GetAppliedMigrationsAsync());
        var run = await db.Runs.Include(r => r.Experiment).SingleAsync(r => r.Id == id);
        Assert.Equal("hps/00001", run.DisplayName);
        Assert.Equal(RunStatus.Queued, run.Status);
    }

    [Fact]
    public async Task A_worker_host_s_current_figures_are_stored_with_its_beat_and_a_host_that_never_sampled_has_none()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        const string gpus = """[{"index":0,"utilisation":87,"memoryGiB":10,"memoryTotalGiB":79.6,"powerWatts":null,"temperatureC":65}]""";
        await using (var db = Open(storage))
        {
            var now = DateTime.UtcNow;
            db.WorkerHosts.Add(new WorkerHost { Name = "old:1:aaaa", Devices = "cpu", StartedAt = now, HeartbeatAt = now });
            db.WorkerHosts.Add(new WorkerHost
            {
                Name = "gpu7:42:beef", Devices = "cuda:0", StartedAt = now, HeartbeatAt = now,
                CpuPercent = 153.5, RssGib = 2.25, HostMemoryGib = 40.5, HostMemoryTotalGib = 251.7, GpuFigures = gpus,
            });
            await db.SaveChangesAsync();
        }
        await using (var db = Open(storage))
        {
            var hosts = await db.WorkerHosts.OrderBy(w => w.Name).ToListAsync();
            Assert.Equal((153.5, 2.25, 40.5, 251.7, gpus), (hosts[0].CpuPercent, hosts[0].RssGib, hosts[0].HostMemoryGib, hosts[0].HostMemoryTotalGib, hosts[0].GpuFigures));
            Assert.Equal((null, null, null, null, null), (hosts[1].CpuPercent, hosts[1].RssGib, hosts[1].HostMemoryGib, hosts[1].HostMemoryTotalGib, hosts[1].GpuFigures));
        }
    }

    [Fact]
    public async Task An_attempts_environment_is_stored_whole_and_older_attempts_have_none()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var id = await AddRunAsync(storage);
        // A report of several kilobytes, and fields at their full length.
        var report = "PyTorch built with:\n" + string.Concat(Enumerable.Repeat("  - Build settings: BLAS_INFO=generic, USE_CUDA=OFF\n", 200));
        var model = new string('x', RunAttempt.EnvironmentLength);
        await using (var db = Open(storage))
        {
            db.RunAttempts.Add(new RunAttempt { RunId = id, Number = 1, Host = "old:1:aaaa", StartedAt = DateTime.UtcNow });
            db.RunAttempts.Add(new RunAttempt
            {
                RunId = id, Number = 2, Host = "gpu7:42:beef", Devices = "cuda:0", StartedAt = DateTime.UtcNow,
                EngineVersion = "1.0.0+bf7ad0c2b7478565f566e5b2c5e4cd0c50012012", TorchVersion = "2.2.0", TorchBuild = "CUDA 12.1, cuDNN 8.9.2",
                Blas = "MKL 2022.2", CpuBackends = "OpenMP 4.5, oneDNN 3.3.2, AVX512", DeviceModel = model, TorchReport = report,
            });
            await db.SaveChangesAsync();
        }
        await using (var db = Open(storage))
        {
            var attempts = await db.RunAttempts.Where(a => a.RunId == id).OrderBy(a => a.Number).ToListAsync();
            Assert.Null(attempts[0].EngineVersion);
            Assert.Null(attempts[0].TorchReport);
            Assert.Equal("1.0.0+bf7ad0c2b7478565f566e5b2c5e4cd0c50012012", attempts[1].EngineVersion);
            Assert.Equal("CUDA 12.1, cuDNN 8.9.2", attempts[1].TorchBuild);
            Assert.Equal(model, attempts[1].DeviceModel);
            Assert.Equal(report, attempts[1].TorchReport);
        }
        // One character over is refused where the column has a length (PostgreSQL), so the stamp cuts to it.
        if (storage.Provider == StorageProvider.Postgres)
        {
            await using var db = Open(storage);
            db.RunAttempts.Add(new RunAttempt { RunId = id, Number = 3, Host = "h", StartedAt = DateTime.UtcNow, DeviceModel = model + "x" });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    [Fact]
    public async Task Run_times_come_back_as_utc_and_status_changes_stick()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var id = await AddRunAsync(storage);
        var started = new DateTime(2026, 11, 21, 10, 30, 15, 123, DateTimeKind.Utc);
        await using (var db = Open(storage))
        {
            var run = await db.Runs.SingleAsync(r => r.Id == id);
            run.Status = RunStatus.Diverged;
            run.StartedAt = started;
            run.DivergedAtStep = 42;
            run.Error = "loss became NaN";
            await db.SaveChangesAsync();
        }
        await using (var db = Open(storage))
        {
            var run = await db.Runs.SingleAsync(r => r.Id == id);
            Assert.Equal(RunStatus.Diverged, run.Status);
            Assert.Equal(started, run.StartedAt);
            Assert.Equal(DateTimeKind.Utc, run.StartedAt!.Value.Kind);
            Assert.Equal(42, run.DivergedAtStep);
        }
    }

    [Fact]
    public async Task An_ensemble_keeps_its_members_in_order_with_their_figures_and_a_run_is_in_it_once()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var a = await AddRunAsync(storage, "hps", 1);
        var b = await AddRunAsync(storage, "hps", 2);
        long id;
        await using (var db = Open(storage))
        {
            var e = new Ensemble
            {
                Name = "hps/00002 + hps/00001", CreatedAt = DateTime.UtcNow, Status = EnsembleStatus.Done, Host = "gpu7",
                Accuracy = 0.75, Loss = 0.5, Ap = 0.8, Samples = 40, Classes = 3, Evaluated = 2,
                Members = [new() { RunId = b, Position = 0, CheckpointFile = "epoch-0003.pt", Loss = 0.625 }, new() { RunId = a, Position = 1, Loss = 0.7 }],
            };
            db.Ensembles.Add(e);
            await db.SaveChangesAsync();
            id = e.Id;
        }
        await using (var db = Open(storage))
        {
            var e = await db.Ensembles.Include(x => x.Members).ThenInclude(m => m.Run).SingleAsync(x => x.Id == id);
            Assert.Equal(["hps/00002", "hps/00001"], e.Members.OrderBy(m => m.Position).Select(m => m.Run!.DisplayName));
            Assert.Equal((0.75, 0.5, 0.8, "gpu7", EnsembleCheckpoint.Last), (e.Accuracy!.Value, e.Loss!.Value, e.Ap!.Value, e.Host, e.Checkpoint));
            Assert.Equal("epoch-0003.pt", e.Members.Single(m => m.RunId == b).CheckpointFile);
            db.EnsembleMembers.Add(new EnsembleMember { EnsembleId = id, RunId = a, Position = 2 });
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        }
    }

    [Fact]
    public async Task Run_numbers_are_unique_within_a_project()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        await AddRunAsync(storage, "hps", 1);
        await AddRunAsync(storage, "other", 1);
        await Assert.ThrowsAsync<DbUpdateException>(() => AddRunAsync(storage, "hps", 1));
    }

    [Fact]
    public async Task The_metric_writer_stores_points_in_batches_and_tells_subscribers()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var id = await AddRunAsync(storage);
        var store = Store(storage);
        var events = new RunEvents();
        var told = new List<RunEvent>();
        using var sub = events.Subscribe(e => { lock (told) told.Add(e); });
        using var writer = new MetricWriter(store, events, new MetricsOptions(), NullLogger<MetricWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);

        var t0 = new DateTime(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc);
        for (int step = 1; step <= 12_000; step++)
        {
            writer.Enqueue(new MetricPoint { RunId = id, Key = "loss", Step = step, Value = 1.0 / step, Time = t0.AddMilliseconds(step) });
            if (step % 1000 == 0) writer.Enqueue(new MetricPoint { RunId = id, Key = "val_loss", Step = step, Value = 2.0 / step, Time = t0 });
        }
        await writer.FlushAsync();
        await writer.StopAsync(CancellationToken.None);

        await using var db = Open(storage);
        var loss = await db.MetricPoints.Where(p => p.RunId == id && p.Key == "loss").OrderBy(p => p.Step).ToListAsync();
        Assert.Equal(12_000, loss.Count);
        Assert.Equal(Enumerable.Range(1, 12_000).Select(i => (long)i), loss.Select(p => p.Step));
        Assert.Equal(1.0 / 7, loss[6].Value);
        Assert.Equal(t0.AddMilliseconds(7), loss[6].Time);
        Assert.Equal(12, await db.MetricPoints.CountAsync(p => p.RunId == id && p.Key == "val_loss"));
        Assert.Contains(new RunEvent(id, RunEventKind.MetricsWritten), told);

        // The summary row a runs table sorts by: last, lowest and highest value over every batch.
        var summary = await db.MetricSummaries.SingleAsync(s => s.RunId == id && s.Key == "loss");
        Assert.Equal((12_000L, 1.0 / 12_000, 1.0 / 12_000, 1.0), (summary.LastStep, summary.LastValue, summary.MinValue, summary.MaxValue));
        var val = await db.MetricSummaries.SingleAsync(s => s.RunId == id && s.Key == "val_loss");
        Assert.Equal((12_000L, 2.0 / 12_000, 2.0 / 1000), (val.LastStep, val.LastValue, val.MaxValue));
    }

    [Fact]
    public async Task Summaries_fold_batches_that_arrive_out_of_order_and_follow_deleted_points()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var id = await AddRunAsync(storage);
        var store = Store(storage);
        var t = DateTime.UtcNow;
        MetricPoint P(long step, double value) => new() { RunId = id, Key = "loss", Step = step, Value = value, Time = t };
        await store.AppendAsync([P(1, 5), P(2, 3), P(3, 4)], default);
        await store.AppendAsync([P(10, 2), P(11, 9)], default);
        await store.AppendAsync([P(5, 0.5)], default);   // an earlier step arriving late does not become the last value

        await using var db = Open(storage);
        var s = await db.MetricSummaries.AsNoTracking().SingleAsync(x => x.RunId == id);
        Assert.Equal((11L, 9.0, 0.5, 9.0), (s.LastStep, s.LastValue, s.MinValue, s.MaxValue));

        // A restart from the checkpoint at step 4 deletes the later points: the summary is what is left.
        await db.MetricPoints.Where(p => p.RunId == id && p.Step > 4).ExecuteDeleteAsync();
        await MetricSummarySql.RebuildRunAsync(db, id, default);
        s = await db.MetricSummaries.AsNoTracking().SingleAsync(x => x.RunId == id);
        Assert.Equal((3L, 4.0, 3.0, 5.0), (s.LastStep, s.LastValue, s.MinValue, s.MaxValue));
    }

    [Fact]
    public async Task A_fenced_runs_points_are_stored_only_while_its_attempt_is_open()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        long takenOver = await AddRunAsync(storage, "fence", 1), training = await AddRunAsync(storage, "fence", 2), unfenced = await AddRunAsync(storage, "fence", 3);
        long ended, open;
        await using (var db = Open(storage))
        {
            var now = DateTime.UtcNow;
            // The first run's attempt here was ended by the host that took the run over; the second's is open.
            var a = new RunAttempt { RunId = takenOver, Number = 1, Host = "a:1:x", Devices = "cpu", StartedAt = now, EndedAt = now, Outcome = "lost" };
            var b = new RunAttempt { RunId = training, Number = 1, Host = "a:1:x", Devices = "cpu", StartedAt = now };
            db.RunAttempts.AddRange(a, b);
            await db.SaveChangesAsync();
            (ended, open) = (a.Id, b.Id);
        }
        var t = DateTime.UtcNow;
        MetricPoint P(long run, long step) => new() { RunId = run, Key = "loss", Step = step, Value = step, Time = t };
        var fences = new Dictionary<long, long> { [takenOver] = ended, [training] = open };

        int left = await Store(storage).AppendAsync([P(takenOver, 1), P(training, 1), P(unfenced, 1), P(takenOver, 2), P(training, 2)], fences, default);

        Assert.Equal(2, left);
        await using var check = Open(storage);
        Assert.Equal(0, await check.MetricPoints.CountAsync(p => p.RunId == takenOver));
        Assert.Equal(0, await check.MetricSummaries.CountAsync(s => s.RunId == takenOver));
        Assert.Equal([1L, 2L], await check.MetricPoints.Where(p => p.RunId == training).OrderBy(p => p.Step).Select(p => p.Step).ToListAsync());
        Assert.Equal(1, await check.MetricPoints.CountAsync(p => p.RunId == unfenced));
        Assert.Equal(2L, (await check.MetricSummaries.SingleAsync(s => s.RunId == training)).LastStep);
    }

    protected static IMetricStore Store(StorageOptions storage) =>
        storage.Provider == StorageProvider.Postgres ? new PostgresMetricStore(storage) : new SqliteMetricStore(storage);

    [Fact]
    public async Task Deleting_a_run_removes_its_points()
    {
        var storage = await NewDatabaseAsync();
        await DatabaseSetup.MigrateAsync(storage);
        var id = await AddRunAsync(storage);
        await using var db = Open(storage);
        db.MetricPoints.Add(new MetricPoint { RunId = id, Key = "loss", Step = 1, Value = 0.5, Time = DateTime.UtcNow });
        await db.SaveChangesAsync();
        await db.Runs.Where(r => r.Id == id).ExecuteDeleteAsync();
        Assert.Equal(0, await db.MetricPoints.CountAsync());
    }
}

public sealed class SqliteDataLayerTests : DataLayerTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dashboard-sqlite").FullName;

    protected override Task<StorageOptions> NewDatabaseAsync() =>
        Task.FromResult(new StorageOptions { DataDir = Path.Combine(_dir, Guid.NewGuid().ToString("N")) });

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresDataLayerTests(PostgresServer server) : DataLayerTests, IClassFixture<PostgresServer>
{
    protected override async Task<StorageOptions> NewDatabaseAsync()
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..12];
        await server.CreateDatabaseAsync(name);
        return new StorageOptions { ConnectionString = server.ConnectionString(name) };
    }
}
