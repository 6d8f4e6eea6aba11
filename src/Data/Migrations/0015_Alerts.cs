using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

/// <summary>Alert rules per user and project, the alerts they fired (once per rule, run and event) and each post of them to a webhook.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261206000015_Alerts")]
public sealed class Alerts : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("alert_rules", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            owner = t.Column<string>(maxLength: 64, nullable: false),
            project = t.Column<string>(maxLength: 64, nullable: true),
            only_mine = t.Column<bool>(nullable: false),
            events = t.Column<string>(maxLength: 128, nullable: false),
            metric_key = t.Column<string>(maxLength: 64, nullable: true),
            comparison = t.Column<string>(maxLength: 2, nullable: true),
            threshold = t.Column<double>(nullable: true),
            webhook_url = t.Column<string>(maxLength: AlertRule.UrlLength, nullable: true),
            secret = t.Column<string>(maxLength: AlertRule.SecretLength, nullable: true),
            browser = t.Column<bool>(nullable: false),
            enabled = t.Column<bool>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
        }, constraints: t => t.PrimaryKey("pk_alert_rules", x => x.id));
        m.CreateIndex("ix_alert_rules_owner", "alert_rules", "owner");

        m.CreateTable("alert_deliveries", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            rule_id = t.Column<long>(nullable: false),
            run_id = t.Column<long>(nullable: true),
            owner = t.Column<string>(maxLength: 64, nullable: false),
            @event = t.Column<string>(name: "event", maxLength: 16, nullable: false),
            summary = t.Column<string>(nullable: false),
            payload = t.Column<string>(nullable: false),
            url = t.Column<string>(maxLength: AlertRule.UrlLength, nullable: true),
            browser = t.Column<bool>(nullable: false),
            status = t.Column<string>(maxLength: 16, nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            delivered_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_alert_deliveries", x => x.id);
            t.ForeignKey("fk_alert_deliveries_alert_rules", x => x.rule_id, "alert_rules", "id", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_alert_deliveries_runs", x => x.run_id, "runs", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_alert_deliveries_rule_run_event", "alert_deliveries", ["rule_id", "run_id", "event"], unique: true);
        m.CreateIndex("ix_alert_deliveries_run_id", "alert_deliveries", "run_id");
        m.CreateIndex("ix_alert_deliveries_owner", "alert_deliveries", "owner");

        m.CreateTable("alert_attempts", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            delivery_id = t.Column<long>(nullable: false),
            number = t.Column<int>(nullable: false),
            time = t.Column<DateTime>(nullable: false),
            status_code = t.Column<int>(nullable: true),
            error = t.Column<string>(maxLength: 512, nullable: true),
            duration_ms = t.Column<int>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_alert_attempts", x => x.id);
            t.ForeignKey("fk_alert_attempts_alert_deliveries", x => x.delivery_id, "alert_deliveries", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_alert_attempts_delivery_id", "alert_attempts", "delivery_id");
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("alert_attempts");
        m.DropTable("alert_deliveries");
        m.DropTable("alert_rules");
    }
}
