namespace Piwik.Sending;

/// <summary>
/// When a failed bulk request goes again: capped exponential backoff with full jitter, <c>Retry-After</c> honoured when
/// longer (capped too), and how many attempts a batch gets without a spool.
/// </summary>
internal sealed class RetrySchedule(PiwikOptions options)
{
    /// <summary>Attempts after the first before a batch is given up (without a spool).</summary>
    public int MaxRetries => options.MaxRetries;

    /// <summary>The wait before attempt <paramref name="attempt"/> (1 for the first retry).</summary>
    public TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var cap = options.MaxRetryDelay;
        var exponential = TimeSpan.FromMilliseconds(Math.Min(cap.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 30) - 1)));
        var jittered = TimeSpan.FromMilliseconds(exponential.TotalMilliseconds * (0.5 + (Random.Shared.NextDouble() * 0.5)));
        if (retryAfter is { } after && after > jittered)
        {
            return after < cap ? after : cap;
        }

        return jittered;
    }
}
