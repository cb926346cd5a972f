namespace Piwik.Diagnostics;

/// <summary>Why an accepted event was not delivered. Each reason is a value of the <c>reason</c> tag of <c>piwik.events.dropped</c>.</summary>
internal enum DropReason
{
    /// <summary>The in-memory queue was full (Matomo slow or down longer than the queue could absorb).</summary>
    QueueFull,

    /// <summary>Recorded after shutdown began.</summary>
    ShuttingDown,

    /// <summary>Still unsent when the shutdown deadline came.</summary>
    ShutdownDeadline,

    /// <summary>Matomo kept failing for longer than the retry budget.</summary>
    RetriesExhausted,

    /// <summary>Older than 24 hours with no (accepted) token_auth: Matomo would reject its time.</summary>
    StaleWithoutToken,

    /// <summary>Matomo answered success but counted fewer entries than were sent (for example a lock timeout).</summary>
    Unconfirmed,

    /// <summary>An entry that made Matomo fail the whole batch every time, isolated and dead-lettered.</summary>
    Poison,

    /// <summary>The request could not be captured (an unexpected error on the request path, swallowed).</summary>
    CaptureFailed,

    /// <summary>The event could not be encoded.</summary>
    EncodingFailed,

    /// <summary>The oldest spooled batch, dropped to keep the spool within <c>Piwik:SpoolMaxBytes</c>.</summary>
    SpoolFull,

    /// <summary>A spooled batch whose events became older than <c>Piwik:SpoolMaxAge</c> before Matomo took them.</summary>
    SpoolExpired,

    /// <summary>The spool could not be written (disk full, permissions): the batch was kept nowhere.</summary>
    SpoolFailed,

    /// <summary>A single entry the server in front of Matomo refuses as too large (HTTP 413) even alone.</summary>
    TooLarge,

    /// <summary>A search, goal or order whose amount, count or quantity was negative or not a finite number: never sent.</summary>
    InvalidNumber,
}

internal static class DropReasonNames
{
    /// <summary>Whether the event was dropped before the queue accepted it (so the queue's total does not hold it).</summary>
    public static bool IsBeforeQueue(this DropReason reason) => reason is DropReason.QueueFull or DropReason.ShuttingDown or DropReason.CaptureFailed;

    public static string ToTag(this DropReason reason) => reason switch
    {
        DropReason.QueueFull => "queue_full",
        DropReason.ShuttingDown => "shutting_down",
        DropReason.ShutdownDeadline => "shutdown_deadline",
        DropReason.RetriesExhausted => "retries_exhausted",
        DropReason.StaleWithoutToken => "stale_without_token",
        DropReason.Unconfirmed => "unconfirmed",
        DropReason.Poison => "poison",
        DropReason.CaptureFailed => "capture_failed",
        DropReason.EncodingFailed => "encoding_failed",
        DropReason.SpoolFull => "spool_full",
        DropReason.SpoolExpired => "spool_expired",
        DropReason.SpoolFailed => "spool_failed",
        DropReason.TooLarge => "too_large",
        DropReason.InvalidNumber => "invalid_number",
        _ => "unknown",
    };
}
