using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

/// <summary>Ensembles of runs evaluated together (a stored analysis), and their members with each one's own figures.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261206000017_Ensembles")]
public sealed class Ensembles : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("ensembles", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            name = t.Column<string>(maxLength: Ensemble.NameLength, nullable: false),
            status = t.Column<string>(maxLength: 16, nullable: false),
            error = t.Column<string>(nullable: true),
            checkpoint = t.Column<string>(maxLength: 8, nullable: false),
            host = t.Column<string>(maxLength: 64, nullable: true),
            created_by = t.Column<string>(maxLength: 64, nullable: true),
            created_at = t.Column<DateTime>(nullable: false),
            started_at = t.Column<DateTime>(nullable: true),
            finished_at = t.Column<DateTime>(nullable: true),
            evaluated = t.Column<int>(nullable: false),
            samples = t.Column<int>(nullable: true),
            classes = t.Column<int>(nullable: true),
            accuracy = t.Column<double>(nullable: true),
            loss = t.Column<double>(nullable: true),
            ap = t.Column<double>(nullable: true),
        }, constraints: t => t.PrimaryKey("pk_ensembles", x => x.id));

        m.CreateTable("ensemble_members", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            ensemble_id = t.Column<long>(nullable: false),
            run_id = t.Column<long>(nullable: false),
            position = t.Column<int>(nullable: false),
            checkpoint_file = t.Column<string>(maxLength: 64, nullable: true),
            accuracy = t.Column<double>(nullable: true),
            loss = t.Column<double>(nullable: true),
            ap = t.Column<double>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_ensemble_members", x => x.id);
            t.ForeignKey("fk_ensemble_members_ensembles", x => x.ensemble_id, "ensembles", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_ensemble_members_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_ensemble_members_ensemble_id_run_id", "ensemble_members", ["ensemble_id", "run_id"], unique: true);
        m.CreateIndex("ix_ensemble_members_run_id", "ensemble_members", "run_id");
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("ensemble_members");
        m.DropTable("ensembles");
    }
}
