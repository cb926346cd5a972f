using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;

namespace Piwik.Sending;

/// <summary>
/// Delivers one batch until every entry has a final fate, and counts each. Only Matomo's parsed answer confirms
/// entries. A batch Matomo fails as a whole twice in a row (HTTP 500: it rolled the batch back) is split in halves,
/// delivered in order; an entry is dead-lettered (<see cref="DropReason.Poison"/>) only when it fails alone, again,
/// after Matomo took other requests since it last failed. A batch a proxy finds too large (413) is split too.
/// Retries follow the <see cref="RetrySchedule"/>; the token goes with a request only as the <see cref="TokenPolicy"/>
/// says. A batch whose outcome stays unknown (timeouts) is sent at most <see cref="MaxAmbiguous"/> times, with a longer
/// timeout each time.
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
    private readonly LogLimiter _notMatomoLog;
    private long _deliveredAnswers;
    private long _stopDeadlineTimestamp = long.MaxValue;
    private long _slowestRecentAnswerTicks = -1; // -1: no answer yet
    private long _slowestRecentEntryTicks = -1; // the same, per entry of the request
    private string? _lastFailure;

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
        _notMatomoLog = new LogLimiter(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>Sends of one batch with an unknown outcome (each may have been stored) before it is given up as <see cref="DropReason.Unconfirmed"/>.</summary>
    public const int MaxAmbiguous = 3;

    /// <summary>What the last failed request got (for the health check), or null.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Batches are kept (in the spool) for as long as Matomo fails, not given up after the retry budget.</summary>
    public bool RetryForever { get; set; }

    /// <summary>
    /// A graceful stop began; it ends at <paramref name="deadline"/> (a <see cref="TimeProvider.GetTimestamp"/>). With
    /// the spool, no request starts that is not expected to finish before the deadline: a request cut off there has an
    /// unknown outcome, and the batch, kept on disk, would be sent again at the next start (a duplicate). Expected is
    /// four times the slowest of Matomo's recent answers (at least 100 ms; before any answer, half of
    /// <see cref="PiwikOptions.ShutdownTimeout"/>), and never less than <see cref="PiwikOptions.RequestTimeout"/> allows:
    /// a healthy Matomo is flushed to at stop, a slow one is left to the next start. Requests in flight go on, so their outcome is known. Without the spool, sending goes
    /// on until the deadline: what is not sent by then is lost anyway.
    /// </summary>
    public void BeginStop(long deadline) => Volatile.Write(ref _stopDeadlineTimestamp, deadline);

    /// <summary>
    /// Waits before a lane takes a batch again after an unexpected failure (a bug, not Matomo's answer), as before
    /// retry <paramref name="attempt"/>, so that a failure that repeats is neither retried in a busy loop nor logged
    /// thousands of times a second. Returns false when the deadline came first.
    /// </summary>
    public async Task<bool> PauseAfterFailureAsync(int attempt)
    {
        try
        {
            await Task.Delay(_retries.Backoff(attempt, null), _time, _deadline).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private bool MayStart()
    {
        var deadline = Volatile.Read(ref _stopDeadlineTimestamp);
        if (deadline == long.MaxValue || !RetryForever)
        {
            return true;
        }

        var timeoutTicks = (long)(_options.RequestTimeout.TotalSeconds * _time.TimestampFrequency);
        var slowest = Volatile.Read(ref _slowestRecentAnswerTicks);
        var expected = slowest < 0
            ? Math.Min(timeoutTicks, (long)(_options.ShutdownTimeout.TotalSeconds * _time.TimestampFrequency / 2))
            : Math.Min(timeoutTicks, Math.Max(4 * slowest, _time.TimestampFrequency / 10));
        return _time.GetTimestamp() + expected <= deadline;
    }

    /// <summary>
    /// How long a request waits for Matomo's answer. A request given up may still be stored (Matomo goes on with it),
    /// so a copy sent after a timeout risks a duplicate: each unknown outcome doubles the wait (up to 4 times
    /// <see cref="PiwikOptions.RequestTimeout"/>), so a Matomo that answers just after the timeout is then heard; and a
    /// Matomo that has been answering slowly is given four times its slowest recent answer (within the same cap), so a
    /// loaded Matomo is waited for rather than sent batches twice.
    /// </summary>
    private TimeSpan Timeout(int ambiguousSoFar)
    {
        var timeout = _options.RequestTimeout * (1 << Math.Min(ambiguousSoFar, 2));
        var slowest = Volatile.Read(ref _slowestRecentAnswerTicks);
        if (slowest > 0)
        {
            var recent = TimeSpan.FromSeconds(4.0 * slowest / _time.TimestampFrequency);
            var cap = _options.RequestTimeout * 4;
            timeout = TimeSpan.FromTicks(Math.Max(timeout.Ticks, Math.Min(recent.Ticks, cap.Ticks)));
        }

        return timeout;
    }

    /// <summary>
    /// Keeps the slowest recent answer time: a new answer counts whole when slower, and pulls the figure down by a
    /// quarter of the difference when faster, so one slow answer is forgotten over a few fast ones.
    /// </summary>
    private void NoteAnswerTime(long ticks, int entries)
    {
        Volatile.Write(ref _slowestRecentAnswerTicks, Slowest(Volatile.Read(ref _slowestRecentAnswerTicks), ticks));
        Volatile.Write(ref _slowestRecentEntryTicks, Slowest(Volatile.Read(ref _slowestRecentEntryTicks), ticks / Math.Max(1, entries)));

        static long Slowest(long previous, long ticks) => previous < 0 || ticks >= previous ? ticks : previous - ((previous - ticks) / 4);
    }

    /// <summary>
    /// The most events a batch may hold for Matomo, at its slowest recent time per entry, to answer it within
    /// <paramref name="answerGoal"/> and within an eighth of <see cref="PiwikOptions.RequestTimeout"/>, within
    /// <paramref name="smallest"/> and <paramref name="largest"/>; <paramref name="smallest"/> until Matomo has answered.
    /// A larger batch never brings a request near its timeout (where it would be sent twice), and batches grow only for
    /// a Matomo that stores fast: a slow one cannot take the traffic that makes the app's cost per batch matter, and a
    /// batch in flight is what a crash may send twice.
    /// </summary>
    public int BatchSizeCap(int smallest, int largest, TimeSpan answerGoal)
    {
        var perEntry = Volatile.Read(ref _slowestRecentEntryTicks);
        if (perEntry < 0)
        {
            return smallest;
        }

        var budget = Math.Min(_options.RequestTimeout.TotalSeconds / 8, answerGoal.TotalSeconds) * _time.TimestampFrequency;
        var fits = perEntry == 0 ? largest : budget / perEntry;
        return (int)Math.Clamp(fits, smallest, Math.Max(smallest, largest));
    }

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
    /// What a slice inherits from the slice it was split from. <paramref name="AnswersAtLastFailure"/>: the count of
    /// parsed answers when the enclosing slice last failed whole (-1: never). <paramref name="FailedAfterOthersSucceeded"/>:
    /// an enclosing slice failed whole although Matomo had taken other requests since its previous failure, which an
    /// outage (every request failing) never gives.
    /// </summary>
    private readonly record struct FailureHistory(long AnswersAtLastFailure, bool FailedAfterOthersSucceeded)
    {
        public static FailureHistory None => new(-1, false);
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

            var outcome = await DeliverSliceAsync(delivery, 0, delivery.Prepared.Count, writer, FailureHistory.None).ConfigureAwait(false);
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
    /// <param name="history">What the enclosing slice saw of Matomo's failures.</param>
    private async Task<SliceOutcome> DeliverSliceAsync(PreparedBatch delivery, int first, int count, BulkRequestWriter writer, FailureHistory history)
    {
        var attempt = 0;
        var wholeFailures = 0;
        var soloFailures = 0;
        var ambiguous = 0;
        var batch = delivery.Prepared;
        while (true)
        {
            if (_deadline.IsCancellationRequested || !MayStart())
            {
                return SliceOutcome.Halted;
            }

            var tokenBound = delivery.TokenBound(first, count);
            if (tokenBound > 0 && !_token.Usable)
            {
                return SliceOutcome.TokenRefused;
            }

            var token = _token.For(tokenBound);
            var tokenJudged = false;
            DeliveryResult result;
            var answersAtSend = Interlocked.Read(ref _deliveredAnswers);
            if (token is null && _token.AlwaysNeeded && _token.Configured)
            {
                // The server wants the token on every bulk request and it is held: wait for it rather than be refused.
                result = new DeliveryResult(DeliveryStatus.Retryable, Error: "token held", RetryAfter: _token.HeldUntil - _time.GetUtcNow());
            }
            else
            {
                var gated = false;
                if (token is not null && !_token.IsConfirmed)
                {
                    // Until Matomo has accepted the token, one request at a time carries it: a wrong token then costs
                    // one failed login at a time, not one per lane.
                    try
                    {
                        await _token.Gate.WaitAsync(_deadline).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return SliceOutcome.Halted;
                    }

                    gated = true;
                    if (!_token.Usable)
                    {
                        _token.Gate.Release(); // held meanwhile by another lane's answer: prepare again without it
                        continue;
                    }
                }

                DeliveryResult? sent;
                answersAtSend = Interlocked.Read(ref _deliveredAnswers);
                try
                {
                    sent = await SendAsync(delivery, first, count, writer, token, ambiguous).ConfigureAwait(false);

                    // Judged before the gate opens: the next lane waiting for it must see the refusal this answer brings,
                    // or it sends the token once more (one more failed login).
                    tokenJudged = gated && sent is { } answer && JudgeToken(answer, tokenBound, count);
                }
                finally
                {
                    if (gated)
                    {
                        _token.Gate.Release();
                    }
                }

                if (sent is not { } answered)
                {
                    return SliceOutcome.Halted;
                }

                result = answered;
            }

            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    Interlocked.Increment(ref _deliveredAnswers);
                    if (token is not null && !tokenJudged)
                    {
                        _token.Judge(result, tokenBound, count);
                    }

                    Account(delivery, first, count, result);
                    return SliceOutcome.Done;

                case DeliveryStatus.TooLarge when count > 1:
                    // A proxy's body limit: halves go, in order.
                    var half = count / 2;
                    var head = await DeliverSliceAsync(delivery, first, half, writer, history).ConfigureAwait(false);
                    return head != SliceOutcome.Done
                        ? head
                        : await DeliverSliceAsync(delivery, first + half, count - half, writer, history).ConfigureAwait(false);

                case DeliveryStatus.TooLarge:
                    _metrics.AddDropped(DropReason.TooLarge);
                    SenderLog.EntryTooLarge(_logger, batch.Entry(first).Length);
                    delivery.FinalizeThrough(first + 1);
                    return SliceOutcome.Done;

                case DeliveryStatus.Unauthorized when token is not null:
                case DeliveryStatus.Rejected when token is not null && !_token.IsConfirmed:
                    // A request carrying the token refused as such (401, 403; 400 while Matomo never accepted it, as
                    // bulk_requests_require_authentication answers a wrong token): the token, not the batch, is at
                    // fault. The batch goes again without it.
                    if (!tokenJudged)
                    {
                        _token.NoteRefused(result.HttpStatus);
                    }

                    NoteFailure(result);
                    return SliceOutcome.TokenRefused;

                case DeliveryStatus.Rejected:
                    _metrics.AddRejected(count);
                    SenderLog.BatchRejected(_logger, count, result.HttpStatus);
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                case DeliveryStatus.Unauthorized:
                    if (_token.TryRequireAlways())
                    {
                        // The server requires authentication for every bulk request (bulk_requests_require_authentication).
                        continue;
                    }

                    if (_token.Configured)
                    {
                        // The token is held for now: the batch waits for it (see above) instead of being refused.
                        NoteFailure(result);
                        break;
                    }

                    // Refused without any token configured: sending it again cannot help.
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
                    NoteFailure(result);
                    if (token is not null && result.Blocked)
                    {
                        // Matomo blocks this IP's tokens: not a server fault, and no use retrying with the token.
                        _token.NoteBlocked();
                        return SliceOutcome.TokenRefused;
                    }

                    if (token is not null && (result.HttpStatus > 0 || result.Status == DeliveryStatus.Ambiguous) && _token.NoteFailure(result.HttpStatus))
                    {
                        // Too many failures of a token Matomo never accepted: whatever the answer, it may be failed
                        // logins. Held now; the slice goes again without it.
                        return SliceOutcome.TokenRefused;
                    }

                    if (result.Status == DeliveryStatus.Ambiguous)
                    {
                        _metrics.AddAmbiguous(count);
                        ambiguous++;
                        if (ambiguous >= MaxAmbiguous)
                        {
                            // Sent this many times with no answer in time: most likely stored each time. Another copy
                            // would only add a duplicate.
                            _metrics.AddDropped(DropReason.Unconfirmed, count);
                            SenderLog.Ambiguous(_logger, count, result.Error ?? "unknown", "given up after " + MaxAmbiguous + " sends with an unknown outcome");
                            delivery.FinalizeThrough(first + count);
                            return SliceOutcome.Done;
                        }

                        SenderLog.Ambiguous(_logger, count, result.Error ?? "unknown", "sent again with a longer timeout");
                    }

                    // An answer to an unconfirmed token is no evidence about the entries (it may be a failed login).
                    if (result.BatchFailed && (token is null || _token.IsConfirmed))
                    {
                        // Matomo ran the batch and rolled it back: chance, an outage, or a poison entry.
                        wholeFailures++;
                        if (history.AnswersAtLastFailure >= 0 && answersAtSend > history.AnswersAtLastFailure)
                        {
                            history = history with { FailedAfterOthersSucceeded = true };
                        }

                        history = history with { AnswersAtLastFailure = Interlocked.Read(ref _deliveredAnswers) };
                        if (wholeFailures >= 2 && count > 1)
                        {
                            var left = count / 2;
                            var done = await DeliverSliceAsync(delivery, first, left, writer, history).ConfigureAwait(false);
                            return done != SliceOutcome.Done
                                ? done
                                : await DeliverSliceAsync(delivery, first + left, count - left, writer, history).ConfigureAwait(false);
                        }

                        // Alone, failing again, and its batch failed after Matomo had taken other requests: poison.
                        // Dead-letter it, once, with its place in the batch. A burst of failures on every request never
                        // gets here: nothing succeeds between them.
                        if (count == 1 && ++soloFailures >= 2 && history.FailedAfterOthersSucceeded)
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

                    break;
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
        }
    }

    /// <summary>
    /// What an answer to a request that carried the token says of the token, noted at once: accepted or not
    /// (<see cref="TokenPolicy.Judge"/>), or refused as such (401, 403; 400 while Matomo never accepted it). Returns
    /// whether the answer was one of those (the delivery's switch then does not note it again).
    /// </summary>
    private bool JudgeToken(in DeliveryResult result, int tokenBound, int count)
    {
        switch (result.Status)
        {
            case DeliveryStatus.Delivered:
                _token.Judge(result, tokenBound, count);
                return true;
            case DeliveryStatus.Unauthorized:
            case DeliveryStatus.Rejected when !_token.IsConfirmed:
                _token.NoteRefused(result.HttpStatus);
                return true;
            default:
                return false;
        }
    }

    /// <summary>One request: null when the shutdown deadline cut it off (then counted as the guarantee says).</summary>
    private async Task<DeliveryResult?> SendAsync(PreparedBatch delivery, int first, int count, BulkRequestWriter writer, string? token, int ambiguousSoFar)
    {
        try
        {
            var timeout = Timeout(ambiguousSoFar);
            var body = writer.Write(delivery.Prepared, first, count, token, redactToken: _logOnly);
            var sent = _time.GetTimestamp();
            var result = await _transport.SendAsync(body, count, timeout, _deadline).ConfigureAwait(false);
            NoteAnswerTime(_time.GetTimestamp() - sent, count);
            return result;
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

            return null;
        }
        catch (Exception ex)
        {
            return new DeliveryResult(DeliveryStatus.Retryable, Error: ex.GetType().Name);
        }
    }

    /// <summary>Keeps the failure for the health check, and warns (at most once a minute) when the answer was not Matomo's.</summary>
    private void NoteFailure(DeliveryResult result)
    {
        var what = result.Error ?? (result.HttpStatus > 0 ? "HTTP " + result.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture) : result.Status.ToString());
        Volatile.Write(ref _lastFailure, what);
        if (result.NotMatomo && _notMatomoLog.Note(out var count))
        {
            SenderLog.NotMatomo(_logger, what, count);
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
