namespace Piwik.Capture;

/// <summary>
/// The event time for the request path: <see cref="Environment.TickCount64"/> (a coarse monotonic clock, a few
/// nanoseconds to read) advanced from a UTC reading taken at most a second ago. <see cref="DateTime.UtcNow"/> costs
/// tens of nanoseconds on a virtual machine's clock; Matomo keeps event times in whole seconds, so the coarse clock's
/// few milliseconds of resolution lose nothing. Wall-clock adjustments are picked up within a second.
/// </summary>
internal static class CoarseUtcClock
{
    private const long ResyncMilliseconds = 1000;

    private static Anchor _anchor = new(DateTime.UtcNow.Ticks, Environment.TickCount64);

    /// <summary>UTC now, in <see cref="DateTime.Ticks"/>.</summary>
    public static long UtcTicks()
    {
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = Environment.TickCount64 - anchor.Milliseconds;
        return (ulong)elapsed < ResyncMilliseconds ? anchor.UtcTicks + (elapsed * TimeSpan.TicksPerMillisecond) : Resync();
    }

    private static long Resync()
    {
        var anchor = new Anchor(DateTime.UtcNow.Ticks, Environment.TickCount64);
        Volatile.Write(ref _anchor, anchor);
        return anchor.UtcTicks;
    }

    private sealed record Anchor(long UtcTicks, long Milliseconds);
}
