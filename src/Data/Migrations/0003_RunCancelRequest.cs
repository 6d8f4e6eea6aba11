using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dashboard.Data.Migrations;

/// <summary>When a cancel of a running run was asked for: the host training it watches for this.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261121000003_RunCancelRequest")]
public sealed class RunCancelRequest : Migration
{
    protected override void Up(MigrationBuilder m) =>
        m.AddColumn<DateTime>("cancel_requested_at", "runs", nullable: true);

    protected override void Down(MigrationBuilder m) => m.DropColumn("cancel_requested_at", "runs");
}
