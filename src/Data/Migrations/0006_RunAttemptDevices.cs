using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>The devices each attempt trained on.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261121000006_RunAttemptDevices")]
public sealed class RunAttemptDevices : Migration
{
    protected override void Up(MigrationBuilder m) => m.AddColumn<string>("devices", "run_attempts", maxLength: 256, nullable: true);

    protected override void Down(MigrationBuilder m) => m.DropColumn("devices", "run_attempts");
}
