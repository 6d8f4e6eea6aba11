using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Dashboard.Data.Migrations;

/// <summary>Users with salted password hashes and roles, their hashed API tokens, and who launched and cancelled each run.</summary>
[DbContext(typeof(DashboardDb))]
[Migration("20261122000009_Users")]
public sealed class Users : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("users", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            name = t.Column<string>(maxLength: 64, nullable: false),
            password_hash = t.Column<string>(nullable: false),
            role = t.Column<string>(maxLength: 16, nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            disabled = t.Column<bool>(nullable: false),
            security_stamp = t.Column<string>(maxLength: 64, nullable: false),
        }, constraints: t => t.PrimaryKey("pk_users", x => x.id));
        m.CreateIndex("ix_users_name", "users", "name", unique: true);

        m.CreateTable("api_tokens", t => new
        {
            id = t.Column<long>(nullable: false)
                .Annotation("Sqlite:Autoincrement", true)
                .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
            user_id = t.Column<long>(nullable: false),
            name = t.Column<string>(maxLength: 64, nullable: false),
            prefix = t.Column<string>(maxLength: 16, nullable: false),
            hash = t.Column<string>(maxLength: 64, nullable: false),
            role = t.Column<string>(maxLength: 16, nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            last_used_at = t.Column<DateTime>(nullable: true),
            revoked_at = t.Column<DateTime>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_api_tokens", x => x.id);
            t.ForeignKey("fk_api_tokens_users", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_api_tokens_prefix", "api_tokens", "prefix", unique: true);

        m.AddColumn<string>("launched_by", "runs", maxLength: 64, nullable: true);
        m.AddColumn<string>("cancelled_by", "runs", maxLength: 64, nullable: true);
    }

    protected override void Down(MigrationBuilder m)
    {
        m.DropTable("api_tokens");
        m.DropTable("users");
        m.DropColumn("launched_by", "runs");
        m.DropColumn("cancelled_by", "runs");
    }
}
