using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>Worker processes with their devices, slots and heartbeat.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261121000005_WorkerHosts")]
public sealed class WorkerHosts : Migration
{
    protected override void Up(MigrationBuilder m) =>
        m.CreateTable("worker_hosts", t => new
        {
            name = t.Column<string>(maxLength: 128, nullable: false),
            devices = t.Column<string>(nullable: false),
            slots = t.Column<int>(nullable: false),
            busy = t.Column<int>(nullable: false),
            started_at = t.Column<DateTime>(nullable: false),
            heartbeat_at = t.Column<DateTime>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_worker_hosts", x => x.name));

    protected override void Down(MigrationBuilder m) => m.DropTable("worker_hosts");
}
