using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>A fork's lineage: the run and checkpoint it started from, and the epoch and step that checkpoint stood at.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261206000016_RunFork")]
public sealed class RunFork : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.AddColumn<long>("fork_of_run_id", "runs", nullable: true);
        m.AddColumn<string>("fork_checkpoint", "runs", maxLength: 64, nullable: true);
        m.AddColumn<int>("fork_epoch", "runs", nullable: true);
        m.AddColumn<long>("fork_step", "runs", nullable: true);
        // The run page lists a run's forks.
        m.CreateIndex("ix_runs_fork_of_run_id", "runs", "fork_of_run_id");
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropIndex("ix_runs_fork_of_run_id", "runs");
        foreach (var column in new[] { "fork_of_run_id", "fork_checkpoint", "fork_epoch", "fork_step" }) m.DropColumn(column, "runs");
    }
}
