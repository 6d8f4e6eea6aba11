using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

/// <summary>What the run browser needs: a run's sweep parameters, tags and notes, and the messages its trainer wrote.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261122000007_RunBrowser")]
public sealed class RunBrowser : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.AddColumn<string>("params", "runs", nullable: false, defaultValue: "{}");
        m.AddColumn<string>("tags", "runs", maxLength: 512, nullable: false, defaultValue: "");
        m.AddColumn<string>("notes", "runs", nullable: false, defaultValue: "");
        m.AddColumn<string>("sweep", "experiments", nullable: true);
        m.CreateTable("run_messages", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            run_id = t.Column<long>(nullable: false),
            time = t.Column<DateTime>(nullable: false),
            text = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_run_messages", x => x.id);
            t.ForeignKey("fk_run_messages_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_run_messages_run_id", "run_messages", "run_id");
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("run_messages");
        m.DropColumn("params", "runs");
        m.DropColumn("tags", "runs");
        m.DropColumn("notes", "runs");
        m.DropColumn("sweep", "experiments");
    }
}
