using Microsoft.Extensions.Diagnostics.HealthChecks;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.HealthChecks;

/// <summary>
/// Reports the tracker's health: unhealthy when Matomo refused the token; degraded when the in-memory backlog passes a
/// share of <see cref="PiwikOptions.QueueCapacity"/>, when the spool could not be written since the previous check
/// (batches are then sent from memory, without crash protection), or when Matomo kept failing or rejecting since the
/// previous check without confirming a single event.
/// </summary>
internal sealed class PiwikHealthCheck(EventQueue queue, PiwikMetrics metrics, PiwikSender sender, double backlogDegradedRatio) : IHealthCheck
{
    private readonly object _gate = new();
    private Snapshot _previous = Snapshot.Of(metrics, sender);

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

        if (sender.TokenRejected)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Matomo refused Piwik:TokenAuth: visitor IPs and events older than 24 hours are no longer sent. Fix the token and restart.", data: data));
        }

        if (queue.Count > queue.Capacity * backlogDegradedRatio)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"The Piwik backlog holds {queue.Count} of {queue.Capacity} events: Matomo is slow or unreachable.", data: data));
        }

        if (now.SpoolFaults > before.SpoolFaults)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"The Piwik spool could not be written ({now.SpoolFaults - before.SpoolFaults} fault(s) since the previous check; see log 1204): batches are sent from memory, without crash protection.", data: data));
        }

        var failures = (now.Retries - before.Retries) + (now.Rejected - before.Rejected) + (now.Dropped - before.Dropped);
        if (failures > 0 && now.Sent == before.Sent)
        {
            return Task.FromResult(HealthCheckResult.Degraded("Matomo failed or rejected every bulk request since the previous check.", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy(data: data));
    }

    private readonly record struct Snapshot(long Enqueued, long Sent, long Rejected, long Dropped, long Retries, long SpoolFaults)
    {
        public static Snapshot Of(PiwikMetrics m, PiwikSender sender) => new(m.Enqueued, m.Sent, m.Rejected, m.Dropped, m.Retries, sender.Spool?.Faults ?? 0);
    }
}
