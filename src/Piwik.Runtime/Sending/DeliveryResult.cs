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
}

internal readonly record struct DeliveryResult(DeliveryStatus Status, int Tracked = 0, int Invalid = 0, int[]? InvalidIndices = null, TimeSpan? RetryAfter = null, int HttpStatus = 0, string? Error = null)
{
    public static DeliveryResult Delivered(int tracked, int invalid, int[]? indices = null) => new(DeliveryStatus.Delivered, tracked, invalid, indices, HttpStatus: 200);
}

/// <summary>Where bulk bodies go: Matomo over HTTP, or the log when no Matomo is configured.</summary>
internal interface IBulkTransport
{
    Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, CancellationToken cancellationToken);
}
