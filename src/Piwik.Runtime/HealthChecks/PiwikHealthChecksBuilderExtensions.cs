using Microsoft.Extensions.Diagnostics.HealthChecks;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.HealthChecks;
using Piwik.Sending;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Piwik tracker's health check.</summary>
public static class PiwikHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check of Piwik tracking: <see cref="HealthStatus.Unhealthy"/> when Matomo refused the token,
    /// <see cref="HealthStatus.Degraded"/> when the backlog passes <paramref name="backlogDegradedRatio"/> of the queue
    /// capacity or when Matomo failed or rejected every request since the previous check. Requires <c>AddPiwikTracking</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default: <c>piwik</c>.</param>
    /// <param name="backlogDegradedRatio">Share of <see cref="Piwik.PiwikOptions.QueueCapacity"/> above which the check is degraded, in (0, 1]. Default: <c>0.5</c>.</param>
    /// <param name="tags">Tags of the check, for filtering health endpoints.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddPiwik(this IHealthChecksBuilder builder, string name = "piwik", double backlogDegradedRatio = 0.5, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlogDegradedRatio);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(backlogDegradedRatio, 1.0);
        // One instance per registration: the check compares with its previous run, and the health check service asks
        // the factory on every run.
        PiwikHealthCheck? check = null;
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => check ??= new PiwikHealthCheck(sp.GetRequiredService<EventQueue>(), sp.GetRequiredService<PiwikMetrics>(), sp.GetRequiredService<PiwikSender>(), backlogDegradedRatio),
            failureStatus: null,
            tags));
    }
}
