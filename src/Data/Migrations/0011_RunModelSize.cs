using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>A run's model size (parameters, FLOPs per sample), as columns of the runs table to sort and filter by.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261205000011_RunModelSize")]
public sealed class RunModelSize : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        // Null for the runs stored before: RunSizeBackfill sizes them at the next start, from their specs.
        m.AddColumn<long>("parameter_count", "runs", nullable: true);
        m.AddColumn<long>("flops_per_sample", "runs", nullable: true);
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropColumn("parameter_count", "runs");
        m.DropColumn("flops_per_sample", "runs");
    }
}
