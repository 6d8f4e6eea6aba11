using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>A latest/min/max row per (run, key), filled from the points already stored.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261121000002_MetricSummaries")]
public sealed class MetricSummaries : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("metric_summaries", t => new
        {
            run_id = t.Column<long>(nullable: false),
            key = t.Column<string>(maxLength: 64, nullable: false),
            last_step = t.Column<long>(nullable: false),
            last_value = t.Column<double>(nullable: false),
            min_value = t.Column<double>(nullable: false),
            max_value = t.Column<double>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_metric_summaries", x => new { x.run_id, x.key });
            t.ForeignKey("fk_metric_summaries_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
        m.Sql(Metrics.MetricSummarySql.RebuildAll);
        if (m.IsNpgsql())
        {
            // PostgreSQL checks a foreign key with a query per inserted row, two thirds of the server's time in a
            // COPY of points (bench/RESULTS.md). The writer only has points of runs it trains, so the check goes; a
            // trigger keeps what the constraint also did: deleting a run deletes its points.
            m.DropForeignKey("fk_metric_points_runs", "metric_points");
            m.Sql("""
                CREATE FUNCTION delete_run_points() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN DELETE FROM metric_points WHERE run_id = OLD.id; RETURN OLD; END $$;
                CREATE TRIGGER runs_delete_points AFTER DELETE ON runs FOR EACH ROW EXECUTE FUNCTION delete_run_points();
                """);
        }
    }

    protected override void Down(MigrationBuilder m)
    {
        if (m.IsNpgsql())
        {
            m.Sql("DROP TRIGGER runs_delete_points ON runs; DROP FUNCTION delete_run_points();");
            m.AddForeignKey("fk_metric_points_runs", "metric_points", "run_id", "runs", principalColumn: "id", onDelete: ReferentialAction.Cascade);
        }
        m.DropTable("metric_summaries");
    }
}
