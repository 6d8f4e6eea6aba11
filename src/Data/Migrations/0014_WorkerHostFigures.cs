using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>Each worker host's current figures (process CPU and memory, host memory, GPUs), stored with its heartbeat.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261206000014_WorkerHostFigures")]
public sealed class WorkerHostFigures : Migration
{
    private static readonly string[] Numbers = ["cpu_percent", "rss_gib", "host_memory_gib", "host_memory_total_gib"];

    protected override void Up(MigrationBuilder m)
    {
        // Null until the host's next beat: hosts of the version before did not sample.
        foreach (var column in Numbers) m.AddColumn<double>(column, "worker_hosts", nullable: true);
        m.AddColumn<string>("gpu_figures", "worker_hosts", nullable: true);
    }

    protected override void Down(MigrationBuilder m)
    {
        foreach (var column in Numbers) m.DropColumn(column, "worker_hosts");
        m.DropColumn("gpu_figures", "worker_hosts");
    }
}
