using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

/// <summary>
/// Adaptive sweeps: the rungs runs reached under early stopping (ASHA's decisions are recomputed from them), and a tpe
/// sweep's proposal index per run, unique in its experiment so that a proposal job run twice cannot add a run twice.
/// </summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261206000013_AdaptiveSweeps")]
public sealed class AdaptiveSweeps : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.AddColumn<int>("sweep_index", "runs", nullable: true);
        m.AddColumn<string>("proposed_by", "runs", maxLength: 16, nullable: true);
        m.CreateIndex("ix_runs_experiment_id_sweep_index", "runs", ["experiment_id", "sweep_index"], unique: true);

        m.CreateTable("rung_arrivals", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            experiment_id = t.Column<long>(nullable: false),
            run_id = t.Column<long>(nullable: false),
            rung_epoch = t.Column<int>(nullable: false),
            epoch = t.Column<int>(nullable: false),
            value = t.Column<double>(nullable: true),
            time = t.Column<DateTime>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_rung_arrivals", x => x.id);
            t.ForeignKey("fk_rung_arrivals_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_rung_arrivals_run_id_rung_epoch", "rung_arrivals", ["run_id", "rung_epoch"], unique: true);
        m.CreateIndex("ix_rung_arrivals_experiment_id", "rung_arrivals", "experiment_id");
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("rung_arrivals");
        m.DropIndex("ix_runs_experiment_id_sweep_index", "runs");
        m.DropColumn("sweep_index", "runs");
        m.DropColumn("proposed_by", "runs");
    }
}
