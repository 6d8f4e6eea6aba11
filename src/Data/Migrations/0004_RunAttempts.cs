using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

/// <summary>Each start of a run on a host, with how it ended.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261121000004_RunAttempts")]
public sealed class RunAttempts : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("run_attempts", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            run_id = t.Column<long>(nullable: false),
            number = t.Column<int>(nullable: false),
            host = t.Column<string>(maxLength: 128, nullable: false),
            started_at = t.Column<DateTime>(nullable: false),
            resumed_after_epoch = t.Column<int>(nullable: false),
            ended_at = t.Column<DateTime>(nullable: true),
            outcome = t.Column<string>(maxLength: 16, nullable: true),
            reason = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_run_attempts", x => x.id);
            t.ForeignKey("fk_run_attempts_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_run_attempts_run_id_number", "run_attempts", ["run_id", "number"], unique: true);
    }

    protected override void Down(MigrationBuilder m) => m.DropTable("run_attempts");
}
