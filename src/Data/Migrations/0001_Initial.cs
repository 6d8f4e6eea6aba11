using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

// Written by hand (the EF design-time package is not in the registry). Column types are left to each
// provider's mappings, so one migration serves SQLite and PostgreSQL. Add upgrades as new classes after it.
[DbContext(typeof(DashboardDb))]
[Migration("20261121000001_Initial")]
public sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("experiments", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            name = t.Column<string>(maxLength: 64, nullable: false),
            spec = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_experiments", x => x.id));

        m.CreateTable("runs", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            experiment_id = t.Column<long>(nullable: false),
            project = t.Column<string>(maxLength: 64, nullable: false),
            number = t.Column<int>(nullable: false),
            status = t.Column<string>(maxLength: 16, nullable: false),
            spec = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            started_at = t.Column<DateTime>(nullable: true),
            finished_at = t.Column<DateTime>(nullable: true),
            error = t.Column<string>(nullable: true),
            epoch = t.Column<int>(nullable: false),
            max_epochs = t.Column<int>(nullable: false),
            diverged_at_step = t.Column<long>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_runs", x => x.id);
            t.ForeignKey("fk_runs_experiments", x => x.experiment_id, "experiments", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_runs_project_number", "runs", ["project", "number"], unique: true);
        m.CreateIndex("ix_runs_status", "runs", "status");
        m.CreateIndex("ix_runs_experiment_id", "runs", "experiment_id");

        m.CreateTable("metric_points", t => new
        {
            run_id = t.Column<long>(nullable: false),
            key = t.Column<string>(maxLength: 64, nullable: false),
            step = t.Column<long>(nullable: false),
            value = t.Column<double>(nullable: false),
            time = t.Column<DateTime>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_metric_points", x => new { x.run_id, x.key, x.step });
            t.ForeignKey("fk_metric_points_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("metric_points");
        m.DropTable("runs");
        m.DropTable("experiments");
    }
}
