using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Dashboard.Data;

public sealed partial class DashboardDb(DbContextOptions<DashboardDb> options) : DbContext(options)
{
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<MetricPoint> MetricPoints => Set<MetricPoint>();
    public DbSet<MetricSummary> MetricSummaries => Set<MetricSummary>();
    public DbSet<RunAttempt> RunAttempts => Set<RunAttempt>();
    public DbSet<WorkerHost> WorkerHosts => Set<WorkerHost>();
    public DbSet<RunMessage> RunMessages => Set<RunMessage>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AlertRule> AlertRules => Set<AlertRule>();
    public DbSet<AlertDelivery> AlertDeliveries => Set<AlertDelivery>();
    public DbSet<AlertAttempt> AlertAttempts => Set<AlertAttempt>();
    public DbSet<RungArrival> RungArrivals => Set<RungArrival>();
    public DbSet<Ensemble> Ensembles => Set<Ensemble>();
    public DbSet<EnsembleMember> EnsembleMembers => Set<EnsembleMember>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Experiment>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(64);
            e.HasMany(x => x.Runs).WithOne(r => r.Experiment).HasForeignKey(r => r.ExperimentId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Run>(e =>
        {
            e.Property(x => x.Project).HasMaxLength(64);
            e.Property(x => x.Status).HasMaxLength(16);
            e.HasIndex(x => new { x.Project, x.Number }).IsUnique();
            e.HasIndex(x => x.Status);
            e.HasIndex(x => x.ForkOfRunId);
            e.Property(x => x.ForkCheckpoint).HasMaxLength(64);
            e.Property(x => x.Tags).HasMaxLength(RunTags.MaxLength);
            e.Property(x => x.LaunchedBy).HasMaxLength(64);
            e.Property(x => x.CancelledBy).HasMaxLength(64);
            e.Property(x => x.ProposedBy).HasMaxLength(16);
            e.HasIndex(x => new { x.ExperimentId, x.SweepIndex }).IsUnique();
            e.Ignore(x => x.DisplayName);
        });
        b.Entity<MetricPoint>(e =>
        {
            e.HasKey(x => new { x.RunId, x.Key, x.Step });
            e.Property(x => x.Key).HasMaxLength(64);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<RunAttempt>(e =>
        {
            e.Property(x => x.Host).HasMaxLength(128);
            e.Property(x => x.Outcome).HasMaxLength(16);
            e.Property(x => x.Devices).HasMaxLength(256);
            e.Property(x => x.EngineVersion).HasMaxLength(RunAttempt.EnvironmentLength);
            e.Property(x => x.TorchVersion).HasMaxLength(RunAttempt.EnvironmentLength);
            e.Property(x => x.TorchBuild).HasMaxLength(RunAttempt.EnvironmentLength);
            e.Property(x => x.Blas).HasMaxLength(RunAttempt.EnvironmentLength);
            e.Property(x => x.CpuBackends).HasMaxLength(RunAttempt.EnvironmentLength);
            e.Property(x => x.DeviceModel).HasMaxLength(RunAttempt.EnvironmentLength);
            e.HasIndex(x => new { x.RunId, x.Number }).IsUnique();
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<User>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(64);
            e.Property(x => x.Role).HasMaxLength(16);
            e.Property(x => x.SecurityStamp).HasMaxLength(64);
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<ApiToken>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(64);
            e.Property(x => x.Prefix).HasMaxLength(16);
            e.Property(x => x.Hash).HasMaxLength(64);
            e.Property(x => x.Role).HasMaxLength(16);
            e.HasIndex(x => x.Prefix).IsUnique();
            e.HasOne(x => x.User).WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<RunMessage>(e =>
        {
            e.HasIndex(x => x.RunId);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<AlertRule>(e =>
        {
            e.Property(x => x.Owner).HasMaxLength(64);
            e.Property(x => x.Project).HasMaxLength(64);
            e.Property(x => x.Events).HasMaxLength(128);
            e.Property(x => x.MetricKey).HasMaxLength(64);
            e.Property(x => x.Comparison).HasMaxLength(2);
            e.Property(x => x.WebhookUrl).HasMaxLength(AlertRule.UrlLength);
            e.Property(x => x.Secret).HasMaxLength(AlertRule.SecretLength);
            e.HasIndex(x => x.Owner);
            e.Ignore(x => x.EventList);
            e.Ignore(x => x.HasThreshold);
            e.Ignore(x => x.ThresholdText);
        });
        b.Entity<AlertDelivery>(e =>
        {
            e.Property(x => x.Owner).HasMaxLength(64);
            e.Property(x => x.Event).HasMaxLength(16);
            e.Property(x => x.Status).HasMaxLength(16);
            e.Property(x => x.Url).HasMaxLength(AlertRule.UrlLength);
            // Once per rule, run and event: the guard that makes an alert fire once, whoever sees it first.
            e.HasIndex(x => new { x.RuleId, x.RunId, x.Event }).IsUnique();
            e.HasIndex(x => x.Owner);
            e.HasOne<AlertRule>().WithMany().HasForeignKey(x => x.RuleId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Attempts).WithOne().HasForeignKey(a => a.DeliveryId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<AlertAttempt>(e =>
        {
            e.Property(x => x.Error).HasMaxLength(512);
            e.HasIndex(x => x.DeliveryId);
        });
        b.Entity<RungArrival>(e =>
        {
            e.HasIndex(x => new { x.RunId, x.RungEpoch }).IsUnique();
            e.HasIndex(x => x.ExperimentId);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Ensemble>(e =>
        {
            e.Property(x => x.Name).HasMaxLength(Ensemble.NameLength);
            e.Property(x => x.Status).HasMaxLength(16);
            e.Property(x => x.Checkpoint).HasMaxLength(8);
            e.Property(x => x.Host).HasMaxLength(64);
            e.Property(x => x.CreatedBy).HasMaxLength(64);
            e.HasMany(x => x.Members).WithOne().HasForeignKey(x => x.EnsembleId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<EnsembleMember>(e =>
        {
            e.Property(x => x.CheckpointFile).HasMaxLength(64);
            e.HasIndex(x => new { x.EnsembleId, x.RunId }).IsUnique();
            e.HasIndex(x => x.RunId);
            e.HasOne(x => x.Run).WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<WorkerHost>(e =>
        {
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(128);
        });
        b.Entity<MetricSummary>(e =>
        {
            e.HasKey(x => new { x.RunId, x.Key });
            e.Property(x => x.Key).HasMaxLength(64);
            e.HasOne<Run>().WithMany().HasForeignKey(x => x.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        // snake_case everywhere, so that the hand-written migrations and plain SQL read the same on both databases.
        foreach (var entity in b.Model.GetEntityTypes())
        {
            entity.SetTableName(Plural(Snake(entity.ClrType.Name)));
            foreach (var p in entity.GetProperties()) p.SetColumnName(Snake(p.Name));
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder c)
    {
        // SQLite hands DateTime back without a Kind; every time we store is UTC.
        c.Properties<DateTime>().HaveConversion<UtcConverter>();
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private static string Plural(string name) => name.EndsWith('y') ? name[..^1] + "ies" : name + "s";

    public static string Snake(string name) => SnakeRegex().Replace(name, "$1_$2").ToLowerInvariant();

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex SnakeRegex();
}
