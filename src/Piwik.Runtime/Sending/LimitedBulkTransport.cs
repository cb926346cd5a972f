namespace Piwik.Sending;

/// <summary>
/// The transport behind an <see cref="InFlightLimit"/>: each bulk request (a retry or a split half included) waits for
/// a permit and hands it back with what Matomo's answer says about its capacity. A lane waiting between retries holds
/// no permit.
/// </summary>
internal sealed class LimitedBulkTransport(IBulkTransport inner, InFlightLimit limit) : IBulkTransport
{
    public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var permit = await limit.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await inner.SendAsync(body, entryCount, limit.TimeoutFor(timeout), cancellationToken).ConfigureAwait(false);
            permit.Complete(entryCount, Classify(result));
            return result;
        }
        finally
        {
            permit.Dispose(); // no sample when the request threw
        }
    }

    /// <summary>What an answer says about Matomo's capacity.</summary>
    internal static InFlightLimit.RequestOutcome Classify(in DeliveryResult result) => result.Status switch
    {
        DeliveryStatus.Delivered => InFlightLimit.RequestOutcome.Answered,

        // Matomo ran the batch and failed it (a poison entry, a database error): not a sign of load.
        DeliveryStatus.Retryable when result.BatchFailed => InFlightLimit.RequestOutcome.Neutral,

        // 408, 429, 502-504, a refused connection; a timeout or a connection broken mid-request.
        DeliveryStatus.Retryable or DeliveryStatus.Ambiguous => InFlightLimit.RequestOutcome.Overloaded,
        _ => InFlightLimit.RequestOutcome.Neutral,
    };
}
