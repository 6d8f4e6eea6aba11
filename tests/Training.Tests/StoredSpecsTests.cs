using System.Text.Json.Nodes;
using Dashboard.Data;
using Dashboard.Data.Tests;
using Dashboard.Training.Specs;
using Microsoft.EntityFrameworkCore;

namespace Dashboard.Training.Tests;

/// <summary>Runs and experiments stored with every kind's fields, pruned once at start, on a SQLite file and on PostgreSQL.</summary>
public sealed class StoredSpecsTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private sealed class Factory(StorageOptions storage) : IDbContextFactory<DashboardDb>
    {
        public DashboardDb CreateDbContext() => DataServices.Open(storage);
    }

    private async Task<StorageOptions> StorageAsync(string provider)
    {
        if (provider == "sqlite") return new StorageOptions { DataDir = Directory.CreateTempSubdirectory("dashboard-specs").FullName };
        var name = "s" + Guid.NewGuid().ToString("N")[..12];
        await server.CreateDatabaseAsync(name);
        return new StorageOptions { ConnectionString = server.ConnectionString(name) };
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Full_specs_are_pruned_to_their_kinds_once_and_read_back_the_same(string provider)
    {
        var storage = await StorageAsync(provider);
        await DatabaseSetup.MigrateAsync(storage);
        // As an earlier version stored them: a sweep over model.name from a spec giving the cnn's width, and a single
        // mlp run whose params carry a key that never applied to it.
        var template = SpecJson.Parse("""
            {"name":"old","dataset":{"name":"cifar10","size":100},"model":{"name":"mlp","layer_size":[8],"width":8},
             "sweep":{"parameters":{"model.name":["mlp","cnn"]}}}
            """);
        var planned = Sweeps.Expand(template);
        var single = SpecJson.Parse("""{"name":"one","dataset":{"name":"hyperspheres","n":200,"p":8,"d":2},"model":{"name":"mlp","layer_size":[8],"width":16}}""");
        const string unreadable = """{"name":"gone","dataset":"hyperspheres","model":"mlp","retired_key":1}""";
        long[] ids;
        await using (var db = DataServices.Open(storage))
        {
            var sweep = new Experiment { Name = "old", Spec = SpecJson.SerializeAll(template), Sweep = "{}" };
            foreach (var (p, i) in planned.Select((p, i) => (p, i)))
                sweep.Runs.Add(new Run { Project = "old", Number = i + 1, Spec = SpecJson.SerializeAll(p.Spec), Params = p.ParamsJson(), Status = RunStatus.Completed });
            var one = new Experiment { Name = "one", Spec = SpecJson.SerializeAll(single) };
            one.Runs.Add(new Run { Project = "one", Number = 1, Spec = SpecJson.SerializeAll(single), Params = """{"model.width":16}""", Status = RunStatus.Running, Epoch = 3 });
            var gone = new Experiment { Name = "gone", Spec = unreadable };
            gone.Runs.Add(new Run { Project = "gone", Number = 1, Spec = unreadable });
            // Its spec already pruned, its params not.
            var swept = new Experiment { Name = "swept", Spec = SpecJson.Serialize(single), Sweep = "{}" };
            swept.Runs.Add(new Run { Project = "swept", Number = 1, Spec = SpecJson.Serialize(single), Params = """{"model.width":16,"seed":3}""" });
            db.Experiments.AddRange(sweep, one, gone, swept);
            await db.SaveChangesAsync();
            ids = [.. sweep.Runs.Select(r => r.Id), one.Runs[0].Id, gone.Runs[0].Id, swept.Runs[0].Id];
        }

        var factory = new Factory(storage);
        Assert.Equal(6, await StoredSpecs.PruneAsync(factory)); // four runs, two experiments
        Assert.Equal(0, await StoredSpecs.PruneAsync(factory));

        await using var check = DataServices.Open(storage);
        var runs = await check.Runs.AsNoTracking().Include(r => r.Experiment).OrderBy(r => r.Id).ToListAsync();
        Assert.Equal(ids, runs.Select(r => r.Id));
        var (mlp, cnn, alone, old) = (runs[0], runs[1], runs[2], runs[3]);
        Assert.Equal("""{"seed":3}""", runs[4].Params);
        Assert.Equal(SpecJson.Serialize(single), runs[4].Spec);
        Assert.Null(Model(mlp.Spec)["width"]);
        Assert.Equal(8, Model(cnn.Spec)["width"]!.GetValue<int>());
        Assert.Null(Model(cnn.Spec)["layer_size"]);
        Assert.Null(Model(alone.Spec)["width"]);
        Assert.Equal("{}", alone.Params);
        // Only the spec and params columns are written: the run's progress is as it was.
        Assert.Equal((RunStatus.Running, 3), (alone.Status, alone.Epoch));
        // The sweep's template keeps the cnn's width for a clone; the single run's does not.
        Assert.Equal(8, Model(mlp.Experiment!.Spec)["width"]!.GetValue<int>());
        Assert.Null(Model(alone.Experiment!.Spec)["width"]);
        // A spec that no longer reads is left as it was.
        Assert.Equal(unreadable, old.Spec);

        // Each is what a launch stores now, and reads back to the spec the run trains.
        Assert.Equal([SpecJson.Serialize(planned[0].Spec), SpecJson.Serialize(planned[1].Spec), SpecJson.Serialize(single)], [mlp.Spec, cnn.Spec, alone.Spec]);
        Assert.All(new[] { mlp, cnn, alone }, r => Assert.Equal(r.Spec, SpecJson.Serialize(SpecJson.Parse(r.Spec))));
        Assert.Equal((8, 1, 2), (SpecJson.Parse(cnn.Spec).Model!.Width, SpecJson.Parse(cnn.Spec).Model!.Depth, SpecJson.Parse(cnn.Spec).Model!.Stages));
    }

    private static JsonNode Model(string spec) => JsonNode.Parse(spec)!["model"]!;
}
