using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Piwik.Configuration;

/// <summary>
/// Warns at start-up, once per key, about keys of the <c>Piwik</c> section that no option has: the binder ignores
/// them, so a mistyped <c>Piwik__Ur</c> would otherwise start silently without a Matomo. Names the closest known key.
/// </summary>
internal sealed partial class UnknownKeysWarning(IConfiguration section, ILogger<UnknownKeysWarning> logger) : IHostedService
{
    /// <summary>The keys the binder reads (<see cref="PiwikOptions.ShouldTrack"/> is code-only and not among them).</summary>
    internal static readonly string[] KnownKeys =
    [
        nameof(PiwikOptions.Url), nameof(PiwikOptions.SiteId), nameof(PiwikOptions.TokenAuth), nameof(PiwikOptions.Enabled),
        nameof(PiwikOptions.DefaultCategory), nameof(PiwikOptions.BatchSize), nameof(PiwikOptions.FlushInterval),
        nameof(PiwikOptions.QueueCapacity), nameof(PiwikOptions.MaxConcurrentBatches), nameof(PiwikOptions.AdaptiveConcurrency),
        nameof(PiwikOptions.RequestTimeout),
        nameof(PiwikOptions.ShutdownTimeout), nameof(PiwikOptions.MaxRetries), nameof(PiwikOptions.MaxRetryDelay),
        nameof(PiwikOptions.DeliveryGuarantee), nameof(PiwikOptions.TraceMatomoRequests), nameof(PiwikOptions.SpoolDirectory),
        nameof(PiwikOptions.SpoolMaxBytes), nameof(PiwikOptions.SpoolMaxAge), nameof(PiwikOptions.AllowInsecureHttp),
        nameof(PiwikOptions.HonorDoNotTrack),
        nameof(PiwikOptions.HonorGlobalPrivacyControl), nameof(PiwikOptions.IpAnonymizationBytes),
        nameof(PiwikOptions.SendVisitorIp), nameof(PiwikOptions.QueryString), nameof(PiwikOptions.KeepCampaignParameters),
        nameof(PiwikOptions.CampaignParameterPrefixes), nameof(PiwikOptions.RedactedQueryParameters),
        nameof(PiwikOptions.UserIdClaim), nameof(PiwikOptions.HashUserId), nameof(PiwikOptions.VisitorIdSecret),
        nameof(PiwikOptions.CustomDimensions), nameof(PiwikOptions.TrackUntrackedEndpointsAsPageViews),
        nameof(PiwikOptions.ApplicationUrl),
    ];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (key, closest) in Find(section))
        {
            LogUnknownKey(logger, PiwikOptions.SectionName + ":" + key, PiwikOptions.SectionName + ":" + closest);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The section's keys that no option has, each with the known key closest to it.</summary>
    internal static IEnumerable<(string Key, string Closest)> Find(IConfiguration section)
    {
        foreach (var child in section.GetChildren())
        {
            if (!KnownKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                yield return (child.Key, KnownKeys.MinBy(known => Distance(child.Key, known))!);
            }
        }
    }

    /// <summary>Edit distance (Levenshtein), ignoring case.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var same = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]);
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (same ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Piwik configuration: {Key} is not a Piwik option and is ignored. Did you mean {Closest}?")]
    private static partial void LogUnknownKey(ILogger logger, string key, string closest);
}
