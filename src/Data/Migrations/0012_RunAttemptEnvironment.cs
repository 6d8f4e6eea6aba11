using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>What each attempt trained with: engine version, libtorch version and build, BLAS, CPU backends, device model.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261206000012_RunAttemptEnvironment")]
public sealed class RunAttemptEnvironment : Migration
{
    private static readonly string[] Short = ["engine_version", "torch_version", "torch_build", "blas", "cpu_backends", "device_model"];

    protected override void Up(MigrationBuilder m)
    {
        // Null on the attempts made before: what they ran with was not recorded, and is not guessed now.
        foreach (var column in Short) m.AddColumn<string>(column, "run_attempts", maxLength: RunAttempt.EnvironmentLength, nullable: true);
        m.AddColumn<string>("torch_report", "run_attempts", nullable: true);
    }

    protected override void Down(MigrationBuilder m)
    {
        foreach (var column in Short) m.DropColumn(column, "run_attempts");
        m.DropColumn("torch_report", "run_attempts");
    }
}
