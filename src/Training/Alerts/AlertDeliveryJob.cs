using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Dashboard.Data;
using Hangfire;
using Hangfire.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Dashboard.Training.Alerts;

/// <summary>
/// Posts one stored alert to its webhook and logs the attempt. A failure throws, and Hangfire's AutomaticRetry (set up
/// per <see cref="AlertsOptions"/> on the alerts server, <see cref="AlertServices"/>) tries again later; the delivery's
/// row says where it stands for the settings page. Thin and idempotent like the run jobs: the job carries the id only.
/// </summary>
public sealed class AlertDeliveryJob(IDbContextFactory<DashboardDb> dbs, AlertSender sender, AlertsOptions options, ILogger<AlertDeliveryJob> log)
{
    public static void Enqueue(IBackgroundJobClient jobs, long deliveryId) =>
        jobs.Enqueue<AlertDeliveryJob>(AlertWatch.Queue, j => j.DeliverAsync(deliveryId, null));

    [JobDisplayName("alert {0}")]
    public async Task DeliverAsync(long deliveryId, PerformContext? context)
    {
        await using var db = await dbs.CreateDbContextAsync();
        var delivery = await db.AlertDeliveries.FirstOrDefaultAsync(d => d.Id == deliveryId);
        // Gone with its rule or run, or sent already (a job queued twice after a restart).
        if (delivery?.Url is null || delivery.Status is DeliveryStatus.Delivered or DeliveryStatus.Failed) return;
        var secret = await db.AlertRules.Where(r => r.Id == delivery.RuleId).Select(r => r.Secret).FirstOrDefaultAsync();
        int number = await db.AlertAttempts.CountAsync(a => a.DeliveryId == deliveryId) + 1;

        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("X-Dashboard-Event", delivery.Event);
        request.Headers.Add("X-Dashboard-Delivery", delivery.Id.ToString());
        if (!string.IsNullOrEmpty(secret)) request.Headers.Add(AlertSignature.Header, AlertSignature.Of(body, secret));

        var attempt = new AlertAttempt { DeliveryId = deliveryId, Number = number, Time = DateTime.UtcNow };
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(options.TimeoutSeconds));
            using var response = await sender.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            attempt.StatusCode = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) attempt.Error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException)
        {
            attempt.Error = $"no answer within {options.TimeoutSeconds} s";
        }
        catch (HttpRequestException e)
        {
            attempt.Error = e.InnerException?.Message is { Length: > 0 } inner && !e.Message.Contains(inner) ? $"{e.Message} ({inner})" : e.Message;
        }
        attempt.DurationMs = (int)clock.ElapsedMilliseconds;
        if (attempt.Error is { Length: > 512 } long_) attempt.Error = long_[..512];

        // Hangfire counts the retries it made; after the last one the delivery has failed for good. The attempts logged
        // count too: an embedded process queues an unsent alert again at its start, with Hangfire's count at zero.
        int retried = context?.GetJobParameter<int>("RetryCount") ?? 0;
        bool sent = attempt.Error is null;
        bool last = retried >= options.Retries || number > options.Retries;
        delivery.Status = sent ? DeliveryStatus.Delivered : last ? DeliveryStatus.Failed : DeliveryStatus.Retrying;
        if (sent) delivery.DeliveredAt = DateTime.UtcNow;
        db.AlertAttempts.Add(attempt);
        await db.SaveChangesAsync();
        if (!sent)
        {
            // The host only: a webhook's path is often its credential (Slack's are).
            log.LogWarning("Alert {Delivery} to {Host}: attempt {Number} failed ({Error})", deliveryId, new Uri(delivery.Url).Host, number, attempt.Error);
            throw new AlertNotDeliveredException($"attempt {number}: {attempt.Error}");
        }
    }
}

public sealed class AlertNotDeliveredException(string message) : Exception(message);

/// <summary>
/// The one HTTP client of the alerts: redirects not followed (a receiver's address is the one its owner typed, and a
/// 3xx is logged as such), connections renewed now and then so a receiver's new address is found.
/// </summary>
public sealed class AlertSender : IDisposable
{
    public HttpClient Client { get; } = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        // Each post has its own timeout (AlertsOptions.TimeoutSeconds).
        Timeout = Timeout.InfiniteTimeSpan,
        DefaultRequestHeaders = { { "User-Agent", "Dashboard-Alerts/1" } },
    };

    public void Dispose() => Client.Dispose();
}
