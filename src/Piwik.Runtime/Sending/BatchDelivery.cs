using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;

namespace Piwik.Sending;

/// <summary>
/// Delivers one batch until every entry has a final fate, and counts each. A batch Matomo fails as a whole twice in a
/// row (HTTP 500: it rolled the batch back) is split in halves, delivered in order, until the entry that fails it
/// alone is found and dead-lettered (<see cref="DropReason.Poison"/>). Retries follow the <see cref="RetrySchedule"/>;
/// the token goes with a request only as the <see cref="TokenPolicy"/> says.
/// </summary>
internal sealed class BatchDelivery
{
    private readonly IBulkTransport _transport;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PiwikOptions _options;
    private readonly TokenPolicy _token;
    private readonly RetrySchedule _retries;
    private readonly CancellationToken _deadline;
    private readonly bool _logOnly;
    private long _deliveredAnswers;

    public BatchDelivery(IBulkTransport transport, PiwikMetrics metrics, ILogger logger, TimeProvider time, PiwikOptions options, TokenPolicy token, CancellationToken deadline)
    {
        _transport = transport;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _options = options;
        _token = token;
        _retries = new RetrySchedule(options);
        _deadline = deadline;
        _logOnly = options.Url is null;
    }

    /// <summary>Batches are kept (in the spool) for as long as Matomo fails, not given up after the retry budget.</summary>
    public bool RetryForever { get; set; }

    private enum SliceOutcome
    {
        /// <summary>Every entry of the slice has a final fate, counted.</summary>
        Done,

        /// <summary>The token was refused: what is left must be prepared again without it.</summary>
        TokenRefused,

        /// <summary>The shutdown deadline came: what is left stays unsent (and, with the spool, on disk).</summary>
        Halted,
    }

    /// <summary>
    /// Delivers a batch from entry <paramref name="start"/> on, and accounts for every entry. Returns how many entries,
    /// from the first, have a final fate; fewer than <see cref="Batch.Count"/> only when the shutdown deadline came.
    /// </summary>
    /// <param name="source">The batch.</param>
    /// <param name="start">Entries before this one are already done (a batch replayed from the spool).</param>
    /// <param name="writer">The body writer of the calling lane.</param>
    /// <param name="commit">Called each time a longer prefix of the batch is done (the spool's acknowledgement).</param>
    public async Task<int> DeliverAsync(Batch source, int start, BulkRequestWriter writer, Action<int>? commit)
    {
        var delivery = new PreparedBatch(source, start, commit, _token, _metrics, _time);
        var started = _time.GetTimestamp();
        while (delivery.Committed < source.Count)
        {
            delivery.Prepare();
            if (delivery.Prepared.Count == 0)
            {
                delivery.FinalizeThrough(0);
                break;
            }

            var outcome = await DeliverSliceAsync(delivery, 0, delivery.Prepared.Count, writer, -1).ConfigureAwait(false);
            if (outcome == SliceOutcome.Halted)
            {
                return delivery.Committed;
            }

            // Done: everything is final. TokenRefused: prepare the rest again without what needs the token.
        }

        _metrics.RecordBatchDuration(_time.GetElapsedTime(started));
        return delivery.Committed;
    }

    /// <summary>Sends entries [<paramref name="first"/>, +<paramref name="count"/>) of the prepared batch until their fate is final.</summary>
    /// <param name="delivery">The batch being delivered.</param>
    /// <param name="first">First entry of the slice.</param>
    /// <param name="count">Entries in the slice.</param>
    /// <param name="writer">The body writer.</param>
    /// <param name="answersAtFirstFailure">The count of delivered answers when the enclosing slice was first failed whole by Matomo; -1 at the top.</param>
    private async Task<SliceOutcome> DeliverSliceAsync(PreparedBatch delivery, int first, int count, BulkRequestWriter writer, long answersAtFirstFailure)
    {
        var attempt = 0;
        var wholeFailures = 0;
        var batch = delivery.Prepared;
        while (true)
        {
            if (_deadline.IsCancellationRequested)
            {
                return SliceOutcome.Halted;
            }

            var tokenBound = delivery.TokenBound(first, count);
            if (tokenBound > 0 && !_token.Usable)
            {
                return SliceOutcome.TokenRefused;
            }

            var token = _token.For(tokenBound);
            var gated = false;
            DeliveryResult result;
            try
            {
                if (token is not null && !_token.IsConfirmed)
                {
                    // Until Matomo has accepted the token once, one request at a time carries it: a wrong token then
                    // costs one or two failed logins, not one per lane.
                    await _token.Gate.WaitAsync(_deadline).ConfigureAwait(false);
                    gated = true;
                    if (!_token.Usable)
                    {
                        continue;
                    }
                }

                var body = writer.Write(batch, first, count, token, redactToken: _logOnly);
                result = await _transport.SendAsync(body, count, _deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
            {
                if (_options.DeliveryGuarantee == DeliveryGuarantee.AtMostOnce)
                {
                    // Cut off mid-request: it may have been stored, so it is not sent again.
                    _metrics.AddAmbiguous(count);
                    _metrics.AddDropped(DropReason.Unconfirmed, count);
                    delivery.FinalizeThrough(first + count);
                }

                return SliceOutcome.Halted;
            }
            catch (Exception ex)
            {
                result = new DeliveryResult(DeliveryStatus.Retryable, Error: ex.GetType().Name);
            }
            finally
            {
                if (gated)
                {
                    _token.Gate.Release();
                }
            }

            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    Interlocked.Increment(ref _deliveredAnswers);
                    if (token is not null)
                    {
                        _token.Judge(result, tokenBound, count);
                    }

                    Account(delivery, first, count, result);
                    return SliceOutcome.Done;

                case DeliveryStatus.Rejected:
                    _metrics.AddRejected(count);
                    SenderLog.BatchRejected(_logger, count, result.HttpStatus);
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                case DeliveryStatus.Unauthorized:
                    if (token is not null)
                    {
                        _token.NoteRejected(result.HttpStatus);
                        return SliceOutcome.TokenRefused;
                    }

                    if (_token.TryRequireAlways())
                    {
                        // The server requires authentication for every bulk request (bulk_requests_require_authentication).
                        continue;
                    }

                    // Refused without a usable token at all: sending it again cannot help.
                    _metrics.AddRejected(count);
                    SenderLog.BatchRejected(_logger, count, result.HttpStatus);
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                case DeliveryStatus.Ambiguous when _options.DeliveryGuarantee == DeliveryGuarantee.AtMostOnce:
                    _metrics.AddAmbiguous(count);
                    _metrics.AddDropped(DropReason.Unconfirmed, count);
                    SenderLog.Ambiguous(_logger, count, result.Error ?? "unknown", "dropped");
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                default: // Retryable, or Ambiguous under at-least-once
                    if (result.Status == DeliveryStatus.Ambiguous)
                    {
                        _metrics.AddAmbiguous(count);
                        SenderLog.Ambiguous(_logger, count, result.Error ?? "unknown", "sent again");
                    }

                    if (result.BatchFailed)
                    {
                        // Matomo ran the batch and rolled it back. Once is chance; twice in a row, an entry is poison.
                        wholeFailures++;
                        if (answersAtFirstFailure < 0)
                        {
                            answersAtFirstFailure = Interlocked.Read(ref _deliveredAnswers);
                        }

                        if (wholeFailures >= 2 && count > 1)
                        {
                            var half = count / 2;
                            var left = await DeliverSliceAsync(delivery, first, half, writer, answersAtFirstFailure).ConfigureAwait(false);
                            return left != SliceOutcome.Done
                                ? left
                                : await DeliverSliceAsync(delivery, first + half, count - half, writer, answersAtFirstFailure).ConfigureAwait(false);
                        }

                        // Alone and failing while Matomo took other requests since the batch first failed, or failing
                        // past the retry budget: poison. Dead-letter it, once, with its place in the batch.
                        if (wholeFailures >= 2 && (Interlocked.Read(ref _deliveredAnswers) > answersAtFirstFailure || attempt >= _retries.MaxRetries))
                        {
                            _metrics.AddDropped(DropReason.Poison);
                            SenderLog.Poison(_logger, delivery.SourceIndex(first), delivery.Source.Count, result.Error ?? "HTTP 500");
                            delivery.FinalizeThrough(first + 1);
                            return SliceOutcome.Done;
                        }
                    }
                    else
                    {
                        wholeFailures = 0;
                    }

                    attempt++;
                    if (attempt > _retries.MaxRetries && !RetryForever)
                    {
                        _metrics.AddDropped(DropReason.RetriesExhausted, count);
                        SenderLog.RetriesExhausted(_logger, count, attempt, result.HttpStatus, result.Error ?? string.Empty);
                        delivery.FinalizeThrough(first + count);
                        return SliceOutcome.Done;
                    }

                    _metrics.AddRetry();
                    try
                    {
                        await Task.Delay(_retries.Backoff(attempt, result.RetryAfter), _time, _deadline).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return SliceOutcome.Halted;
                    }

                    break;
            }
        }
    }

    private void Account(PreparedBatch delivery, int first, int count, DeliveryResult result)
    {
        var tracked = Math.Min(result.Tracked, count);
        var invalid = Math.Min(result.Invalid, count - tracked);
        _metrics.AddSent(tracked);
        _metrics.AddRejected(invalid);
        _metrics.AddDropped(DropReason.Unconfirmed, count - tracked - invalid);
        if (invalid > 0)
        {
            SenderLog.InvalidEntries(_logger, invalid, count);
        }

        delivery.FinalizeThrough(first + count);
    }
}
