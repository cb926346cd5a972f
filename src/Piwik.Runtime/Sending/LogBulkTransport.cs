using Microsoft.Extensions.Logging;

namespace Piwik.Sending;

/// <summary>
/// The embedded default when no <c>Piwik:Url</c> is configured: each bulk body is written to the log (token already
/// redacted by the caller) instead of being sent, so an app runs and shows its events with no Matomo at all.
/// </summary>
internal sealed partial class LogBulkTransport(ILogger<LogBulkTransport> logger) : IBulkTransport
{
    public Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            var text = System.Text.Encoding.UTF8.GetString(body.Span);
            LogBatch(logger, entryCount, text);
        }

        return Task.FromResult(DeliveryResult.Delivered(entryCount, 0));
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "No Piwik:Url configured: would send {Count} event(s) to Matomo: {Body}")]
    private static partial void LogBatch(ILogger logger, int count, string body);
}
