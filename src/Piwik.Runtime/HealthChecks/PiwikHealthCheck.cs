using Microsoft.Extensions.Diagnostics.HealthChecks;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.HealthChecks;

/// <summary>
/// Reports the tracker's health: unhealthy when Matomo refuses the token or blocks this IP's token; degraded when the
/// in-memory backlog passes a share of <see cref="PiwikOptions.QueueCapacity"/>, when the spool could not be written
/// (batches are then sent from memory, without crash protection), when Matomo kept failing or rejecting without
/// confirming a single event, or when events could not be captured; each since the previous check (or, at the first
/// check, since start).
/// </summary>
internal sealed class PiwikHealthCheck(EventQueue queue, PiwikMetrics metrics, PiwikSender sender, double backlogDegradedRatio) : IHealthCheck
{
    private readonly object _gate = new();
    private Snapshot _previous; // zeros: the first check covers everything since start

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Snapshot now;
        Snapshot before;
        lock (_gate)
        {
            now = Snapshot.Of(metrics, sender);
            before = _previous;
            _previous = now;
        }

        var data = new Dictionary<string, object>
        {
            ["queue_length"] = queue.Count,
            ["queue_capacity"] = queue.Capacity,
            ["enqueued"] = now.Enqueued,
            ["sent"] = now.Sent,
            ["rejected"] = now.Rejected,
            ["dropped"] = now.Dropped,
            ["retries"] = now.Retries,
            ["spool_faults"] = now.SpoolFaults,
        };
        if (sender.LastFailure is { } lastFailure)
        {
            data["last_failure"] = lastFailure;
        }

        if (sender.TokenBlocked)
        {
            return Result(HealthCheckResult.Unhealthy("Matomo blocks this IP's Piwik:TokenAuth (more than 20 failed logins within an hour): visitor IPs and events older than 24 hours are not sent until the token is tried again after the hour.", data: data));
        }

        if (sender.TokenRejected)
        {
            return Result(HealthCheckResult.Unhealthy("Matomo refused Piwik:TokenAuth: visitor IPs and events older than 24 hours are not sent until the token is tried again (every 20 minutes). Check the token.", data: data));
        }

        if (queue.Count > queue.Capacity * backlogDegradedRatio)
        {
            return Result(HealthCheckResult.Degraded($"The Piwik backlog holds {queue.Count} of {queue.Capacity} events: Matomo is slow or unreachable.", data: data));
        }

        if (now.SpoolFaults > before.SpoolFaults)
        {
            return Result(HealthCheckResult.Degraded($"The Piwik spool could not be written ({now.SpoolFaults - before.SpoolFaults} fault(s) since the previous check; see log 1204): batches are sent from memory, without crash protection.", data: data));
        }

        var failures = (now.Retries - before.Retries) + (now.Rejected - before.Rejected) + (now.DeliveryDrops - before.DeliveryDrops);
        if (failures > 0 && now.Sent == before.Sent)
        {
            var last = sender.LastFailure is { } what ? $" (last: {what})" : "";
            return Result(HealthCheckResult.Degraded($"Matomo failed or rejected every bulk request since the previous check{last}.", data: data));
        }

        if (now.CaptureFailed > before.CaptureFailed)
        {
            return Result(HealthCheckResult.Degraded($"{now.CaptureFailed - before.CaptureFailed} event(s) could not be captured since the previous check (an error on the request path; counted as dropped, reason capture_failed).", data: data));
        }

        return Result(HealthCheckResult.Healthy(data: data));
    }

    private static Task<HealthCheckResult> Result(HealthCheckResult result) => Task.FromResult(result);

    /// <summary>Totals at one check; <c>DeliveryDrops</c> are the drops after the queue (Matomo did not take the events).</summary>
    private readonly record struct Snapshot(long Enqueued, long Sent, long Rejected, long Dropped, long Retries, long DeliveryDrops, long CaptureFailed, long SpoolFaults)
    {
        public static Snapshot Of(PiwikMetrics m, PiwikSender sender)
        {
            long delivery = 0;
            foreach (var reason in Enum.GetValues<DropReason>())
            {
                if (!reason.IsBeforeQueue())
                {
                    delivery += m.DroppedFor(reason);
                }
            }

            return new(m.Enqueued, m.Sent, m.Rejected, m.Dropped, m.Retries, delivery, m.DroppedFor(DropReason.CaptureFailed), sender.Spool?.Faults ?? 0);
        }
    }
}
