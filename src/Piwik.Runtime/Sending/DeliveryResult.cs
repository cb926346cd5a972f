namespace Piwik.Sending;

internal enum DeliveryStatus
{
    /// <summary>Matomo answered 2xx; <see cref="DeliveryResult.Tracked"/> and <see cref="DeliveryResult.Invalid"/> say what it kept.</summary>
    Delivered,

    /// <summary>Nothing was stored and trying again may work: connection refused, 408, 429, 5xx.</summary>
    Retryable,

    /// <summary>The body may or may not have been stored: a timeout or a broken connection after it was sent.</summary>
    Ambiguous,

    /// <summary>Matomo refused the request as such (400 and other 4xx): sending it again cannot help.</summary>
    Rejected,

    /// <summary>Matomo refused the token (401, 403).</summary>
    Unauthorized,

    /// <summary>The body was too large for a proxy in front of Matomo (413): nothing was stored; smaller requests may pass.</summary>
    TooLarge,
}

/// <param name="Status">The outcome class.</param>
/// <param name="Tracked">Entries Matomo counted as tracked.</param>
/// <param name="Invalid">Entries Matomo counted as invalid.</param>
/// <param name="InvalidIndices">Which entries were invalid (sent by Matomo to a super user's token only).</param>
/// <param name="RetryAfter">The <c>Retry-After</c> of the answer.</param>
/// <param name="HttpStatus">The HTTP status, 0 when there was no answer.</param>
/// <param name="Error">What went wrong, for logs: an error name or Matomo's message (never a URL or the token).</param>
/// <param name="BatchFailed">Matomo ran the batch and failed it as a whole (HTTP 500, or an error status in a 2xx answer): the batch was rolled back; when this repeats, one entry is poison.</param>
/// <param name="NotMatomo">A 2xx whose body is not Matomo's bulk answer (an HTML page, a wrong URL, a truncated answer): nothing is confirmed.</param>
/// <param name="Blocked">Matomo's answer to a token sent from a blocked IP (HTTP 500 with zero counts and no message).</param>
internal readonly record struct DeliveryResult(DeliveryStatus Status, int Tracked = 0, int Invalid = 0, int[]? InvalidIndices = null, TimeSpan? RetryAfter = null, int HttpStatus = 0, string? Error = null, bool BatchFailed = false, bool NotMatomo = false, bool Blocked = false)
{
    public static DeliveryResult Delivered(int tracked, int invalid, int[]? indices = null) => new(DeliveryStatus.Delivered, tracked, invalid, indices, HttpStatus: 200);
}

/// <summary>Where bulk bodies go: Matomo over HTTP, or the log when no Matomo is configured.</summary>
internal interface IBulkTransport
{
    /// <param name="body">The bulk body.</param>
    /// <param name="entryCount">Entries in it.</param>
    /// <param name="timeout">How long to wait for the answer; past it the outcome is ambiguous.</param>
    /// <param name="cancellationToken">The shutdown deadline.</param>
    Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan timeout, CancellationToken cancellationToken);
}
