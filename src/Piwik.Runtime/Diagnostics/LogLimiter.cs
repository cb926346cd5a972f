namespace Piwik.Diagnostics;

/// <summary>
/// Lets a repeated warning through at most once per interval, with the number of occurrences since the last one it
/// let through: a fault that lasts is logged, not once per request.
/// </summary>
internal sealed class LogLimiter(TimeProvider time, TimeSpan interval)
{
    private long _nextTimestamp;
    private long _since;

    /// <summary>Notes one occurrence; true when it should be logged now, with <paramref name="count"/> occurrences since the last log.</summary>
    public bool Note(out long count)
    {
        Interlocked.Increment(ref _since);
        var now = time.GetTimestamp();
        var next = Volatile.Read(ref _nextTimestamp);
        if (now < next)
        {
            count = 0;
            return false;
        }

        var ticks = (long)(interval.TotalSeconds * time.TimestampFrequency);
        if (Interlocked.CompareExchange(ref _nextTimestamp, now + ticks, next) != next)
        {
            count = 0;
            return false;
        }

        count = Interlocked.Exchange(ref _since, 0);
        return true;
    }
}
