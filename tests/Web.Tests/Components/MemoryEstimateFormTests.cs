using Bunit;
using Dashboard.Data;
using Dashboard.Web.Components.Pages.Experiments;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dashboard.Web.Tests.Components;

/// <summary>bUnit: the new-experiment form shows the run's memory estimate as its fields change, and marks the field
/// to change when the run would not fit in its device's memory, before anything is launched.</summary>
public sealed class MemoryEstimateFormTests(DashboardFactory factory) : AppTestContext(factory, user: "tester")
{
    [Fact]
    public async Task The_estimate_is_shown_and_follows_a_layer_size_as_it_is_typed()
    {
        var form = Render<NewExperiment>();
        // The default study: hyperspheres p = 128, 4 classes, layers [64, 32]: 10,468 parameters of 4 bytes.
        form.WaitForAssertion(() => Assert.Contains("parameters 41.9 kB, gradients 41.9 kB", form.Find("#memory-estimate").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("Memory of the run: ≈ ", form.Find("#memory-estimate").TextContent);
        Assert.Equal("false", form.Find("#memory-estimate").GetAttribute("data-too-large"));

        // First layer 1000 wide: 128*1000 + 1000 + 1000*32 + 32 + 32*4 + 4 = 161,164 parameters.
        await form.InvokeAsync(() => form.FindAll("#layers .layer-size")[0].Input("1000"));
        form.WaitForAssertion(() => Assert.Contains("parameters 645 kB, gradients 645 kB", form.Find("#memory-estimate").TextContent), TimeSpan.FromSeconds(10));

        // A sweep shows its largest run.
        await form.InvokeAsync(() => form.Find("#sweep-method").Change("grid"));
        await form.InvokeAsync(() => form.FindAll("#sweep-rows .sweep-row")[0].QuerySelector(".sweep-key")!.Input("batch_size"));
        await form.InvokeAsync(() => form.FindAll("#sweep-rows .sweep-row")[0].QuerySelector(".sweep-values")!.Input("50, 800"));
        form.WaitForAssertion(() => Assert.Contains("Memory of the largest of the 2 runs: ", form.Find("#memory-estimate").TextContent), TimeSpan.FromSeconds(10));
        Assert.Contains("at batch 800", form.Find("#memory-estimate").TextContent);
    }

    [Fact]
    public async Task Layers_too_large_for_the_device_are_marked_at_once_and_the_launch_is_refused()
    {
        // A host reports a GPU of 1 GiB, as the heartbeat writes it from nvidia-smi.
        var dbs = Factory.Services.GetRequiredService<IDbContextFactory<DashboardDb>>();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.WorkerHosts.Add(new WorkerHost { Name = $"form-gpu-{Guid.NewGuid():N}", Devices = "cuda:6 (Test GPU, 1 GiB, 0.0 GiB used)", Slots = 1,
                StartedAt = DateTime.UtcNow, HeartbeatAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        try
        {
            var before = await RunCountAsync();
            var form = Render<NewExperiment>();
            await form.InvokeAsync(() => form.Find("#f-device").Input("cuda:6"));
            form.WaitForAssertion(() => Assert.Contains("cuda:6 has 1.1 GB of memory.", form.Find("#memory-estimate").TextContent), TimeSpan.FromSeconds(10));
            Assert.Empty(form.FindAll(".field-error[data-field='model.layer_size']"));

            await form.InvokeAsync(() => form.FindAll("#layers .layer-size")[0].Input("30000"));
            await form.InvokeAsync(() => form.FindAll("#layers .layer-size")[1].Input("30000"));
            form.WaitForAssertion(() => Assert.Equal("true", form.Find("#memory-estimate").GetAttribute("data-too-large")), TimeSpan.FromSeconds(10));
            Assert.Contains("cuda:6 has 1.1 GB of memory: too large to launch.", form.Find("#memory-estimate").TextContent);
            var size = form.FindAll("#layers .layer-size")[0];
            Assert.Contains("is-invalid", size.ClassList);
            Assert.Equal("true", size.GetAttribute("aria-invalid"));
            Assert.Contains(form.FindAll(".field-error[data-field='model.layer_size']"), e => e.TextContent.Contains("make the layers smaller"));

            form.Find("#launch").Click();
            form.WaitForAssertion(() => Assert.Contains("nothing was launched", form.Find("#form-errors").TextContent), TimeSpan.FromSeconds(10));
            Assert.Equal(before, await RunCountAsync());

            // Back to a size that fits: the mark goes.
            await form.InvokeAsync(() => form.FindAll("#layers .layer-size")[0].Input("64"));
            await form.InvokeAsync(() => form.FindAll("#layers .layer-size")[1].Input("32"));
            form.WaitForAssertion(() => Assert.Equal("false", form.Find("#memory-estimate").GetAttribute("data-too-large")), TimeSpan.FromSeconds(10));
        }
        finally
        {
            await using var db = await dbs.CreateDbContextAsync();
            await db.WorkerHosts.Where(w => w.Name.StartsWith("form-gpu-")).ExecuteDeleteAsync();
        }
    }

    [Fact]
    public void A_pasted_spec_too_large_for_the_machine_is_marked_at_the_json_naming_the_field()
    {
        var form = Render<NewExperiment>();
        // About 2 TB of activations: four layers of 65,536 at a batch of 800,000 samples.
        form.Find("#spec_json").Input("""
            { "dataset": { "name": "hyperspheres", "n": 1000000, "p": 8, "d": 2 },
              "model": { "name": "mlp", "layer_size": [65536, 8, 65536, 8, 65536, 8, 65536] }, "batch_size": 1000000, "max_epochs": 1 }
            """);
        form.WaitForAssertion(() => Assert.Equal("true", form.Find("#memory-estimate").GetAttribute("data-too-large")), TimeSpan.FromSeconds(10));
        Assert.Contains(form.FindAll(".field-error[data-field='spec_json']"), e => e.TextContent.StartsWith("batch_size: the run needs ≈ ") && e.TextContent.Contains("cpu has"));
        Assert.Equal("true", form.Find("#spec_json").GetAttribute("aria-invalid"));
    }
}
