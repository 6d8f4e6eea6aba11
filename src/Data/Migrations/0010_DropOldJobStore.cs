using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>
/// Drops the tables of the job engine the dashboard used before Hangfire (its qrtz_* tables). The runs table says
/// what is queued; a worker (cluster) or the embedded process queues its runs again, so no queued run is lost.
/// </summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261205000010_DropOldJobStore")]
public sealed class DropOldJobStore : Migration
{
    // Children before the tables they refer to.
    private static readonly string[] Tables =
    [
        "qrtz_fired_triggers", "qrtz_paused_trigger_grps", "qrtz_scheduler_state", "qrtz_locks", "qrtz_simple_triggers",
        "qrtz_simprop_triggers", "qrtz_cron_triggers", "qrtz_blob_triggers", "qrtz_triggers", "qrtz_job_details", "qrtz_calendars",
    ];

    protected override void Up(MigrationBuilder m)
    {
        bool postgres = m.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL";
        foreach (var table in Tables)
            m.Sql(postgres ? $"DROP TABLE IF EXISTS {table} CASCADE;" : $"DROP TABLE IF EXISTS {table};");
    }

    // Nothing to restore: the old engine created its own tables.
    protected override void Down(MigrationBuilder m) { }
}
