using Microsoft.Extensions.Logging;

namespace Piwik.Sending;

/// <summary>The sender's log messages, one place for the lanes, the delivery and the token policy to share.</summary>
internal static partial class SenderLog
{
    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Piwik:Url is not configured: batches are written to the log instead of being sent to Matomo.")]
    public static partial void NoUrl(ILogger logger);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Piwik:VisitorIdSecret is not configured: visitor ids use a random key that changes when the process restarts. Set the same secret on every instance for stable visitor ids.")]
    public static partial void EphemeralSecret(ILogger logger);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Matomo answered {Invalid} of {Count} bulk entries as invalid.")]
    public static partial void InvalidEntries(ILogger logger, int invalid, int count);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Matomo refused a bulk request of {Count} event(s) with HTTP {Status}; it is not retried.")]
    public static partial void BatchRejected(ILogger logger, int count, int status);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Matomo refused Piwik:TokenAuth (HTTP {Status}). The token is not sent until {Until:u}, when one request tries it again: visitor IPs (cip) are left out and events older than 24 hours are dropped meanwhile. Matomo blocks an IP after 20 failed logins an hour: check the token.")]
    public static partial void TokenRejected(ILogger logger, int status, DateTimeOffset until);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "Piwik:Url answered {Error}: not Matomo's bulk answer (a maintenance or login page, a proxy, a wrong URL), so nothing is confirmed and the batch is sent again. {Count} such answer(s) since the last warning; logged at most once a minute.")]
    public static partial void NotMatomo(ILogger logger, string error, long count);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Error, Message = "Matomo blocks this IP's tokens (more than 20 failed logins within an hour): Piwik:TokenAuth is not sent until {Until:u}. Visitor IPs (cip) are left out and events older than 24 hours are dropped meanwhile; events without them are still tracked.")]
    public static partial void TokenBlocked(ILogger logger, DateTimeOffset until);

    [LoggerMessage(EventId = 1019, Level = LogLevel.Warning, Message = "A single event of {Bytes} bytes is too large for the server in front of Matomo (HTTP 413) and was dropped (counted in piwik.events.dropped, reason too_large).")]
    public static partial void EntryTooLarge(ILogger logger, int bytes);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Gave up on a bulk request of {Count} event(s) after {Attempts} attempts (last HTTP status {Status}, error {Error}).")]
    public static partial void RetriesExhausted(ILogger logger, int count, int attempts, int status, string error);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Delivery of {Count} event(s) has an unknown outcome ({Error}): Matomo may have stored them; {Action} as configured by Piwik:DeliveryGuarantee.")]
    public static partial void Ambiguous(ILogger logger, int count, string error, string action);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "Events older than 24 hours are dropped (counted in piwik.events.dropped, reason stale_without_token): Matomo needs Piwik:TokenAuth to accept their time. Logged once.")]
    public static partial void StaleDropped(ILogger logger);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Error, Message = "An event could not be encoded and was dropped.")]
    public static partial void EncodingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Shutdown: {Count} event(s) could not be sent to Matomo within Piwik:ShutdownTimeout ({Timeout}) and were dropped.")]
    public static partial void ShutdownLoss(ILogger logger, long count, TimeSpan timeout);

    [LoggerMessage(EventId = 1099, Level = LogLevel.Error, Message = "The Piwik sender failed unexpectedly.")]
    public static partial void SenderFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Error, Message = "Matomo fails every bulk request that holds entry {Index} of a batch of {Count} (HTTP 500: {Reason}); that entry is dead-lettered (counted in piwik.events.dropped, reason poison) and the rest is delivered.")]
    public static partial void Poison(ILogger logger, int index, int count, string reason);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Error, Message = "Piwik:SpoolDirectory could not be opened; running without the spool.")]
    public static partial void SpoolUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Information, Message = "Shutdown: {Count} event(s) not yet confirmed by Matomo stay in the spool and are sent at the next start.")]
    public static partial void SpooledAtShutdown(ILogger logger, long count);
}
