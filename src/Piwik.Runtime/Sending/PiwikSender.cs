using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Encoding;
using Piwik.Spool;

namespace Piwik.Sending;

/// <summary>
/// The one background service between the queue and Matomo. A read loop takes events off the queue, computes each
/// visitor id, encodes the entry into the batch of the visitor's partition, and hands full (or
/// <see cref="PiwikOptions.FlushInterval"/>-old) batches to that partition's delivery loop. Each partition delivers one
/// batch at a time and retries it before the next, so a visitor's events reach Matomo in order while
/// <see cref="PiwikOptions.MaxConcurrentBatches"/> batches are in flight.
/// <para>
/// With a <see cref="PiwikOptions.SpoolDirectory"/>, the hand-off goes through the durable <see cref="BatchSpool"/>
/// instead: a batch is on disk before it is sent, acknowledged once its fate is final, and waits there (instead of
/// being dropped) for as long as Matomo is unreachable.
/// </para>
/// <para>
/// Delivery of a batch: a batch Matomo fails as a whole twice in a row (HTTP 500: it rolled the batch back) is split in
/// halves, delivered in order, until the entry that fails it alone is found and dead-lettered
/// (<see cref="DropReason.Poison"/>). The token is sent only with requests that need it (<c>cip</c>, events older than
/// 24 hours); until Matomo has accepted it once, such requests go one at a time, and once Matomo refuses it (401/403, or
/// answers that exactly the entries needing it are invalid) it is never sent again: <c>cip</c> is stripped from what is
/// still to send and events older than 24 hours are dropped.
/// </para>
/// </summary>
internal sealed partial class PiwikSender : BackgroundService
{
    private static readonly long StaleTicks = TimeSpan.FromHours(24).Ticks;

    private const int TokenUnknown = 0;
    private const int TokenSuspect = 1;
    private const int TokenConfirmed = 2;
    private const int TokenRefused = 3;

    private readonly EventQueue _queue;
    private readonly IBulkTransport _transport;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger<PiwikSender> _logger;
    private readonly TimeProvider _time;
    private readonly PiwikOptions _options;
    private readonly EntryEncoder _encoder;
    private readonly Partition[] _partitions;
    private readonly bool _logOnly;
    private readonly CancellationTokenSource _deadline = new();
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private BatchSpool? _spool;
    private int _tokenState;
    private volatile bool _tokenAlwaysNeeded;
    private long _deliveredAnswers;
    private int _tokenWarningLogged;
    private int _staleWarningLogged;

    public PiwikSender(EventQueue queue, IBulkTransport transport, PiwikMetrics metrics, IOptions<PiwikOptions> options, ILogger<PiwikSender> logger, TimeProvider time)
    {
        _queue = queue;
        _transport = transport;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _options = options.Value;
        _logOnly = _options.Url is null;
        _encoder = new EntryEncoder(_options, _logger);
        _partitions = new Partition[_options.MaxConcurrentBatches];
        for (var i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = new Partition(this, i);
        }
    }

    /// <summary>Whether Matomo refused the token: <c>cip</c> and old events are no longer sent with it.</summary>
    internal bool TokenRejected => Volatile.Read(ref _tokenState) == TokenRefused;

    /// <summary>The spool, when <see cref="PiwikOptions.SpoolDirectory"/> is set and it could be opened.</summary>
    internal BatchSpool? Spool => _spool;

    private bool HasUsableToken => _options.TokenAuth is not null && !TokenRejected;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            if (_logOnly)
            {
                LogNoUrl(_logger);
            }

            if (VisitorIdGenerator.IsEphemeral(_options.VisitorIdSecret))
            {
                LogEphemeralSecret(_logger);
            }
        }

        if (_options.SpoolDirectory is not null && !_logOnly)
        {
            try
            {
                // Opened here, before any event is read, so what an earlier process left is counted and goes first.
                _spool = BatchSpool.Open(_options, _partitions.Length, _metrics, _logger, _time);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSpoolUnavailable(_logger, ex);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Our own deadline, well inside the host's: what is not sent by then is counted and logged once (or, with
        // the spool, kept on disk for the next start).
        _deadline.CancelAfter(_options.ShutdownTimeout);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _deadline.Dispose();
        _tokenGate.Dispose();
        _spool?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up host start-up
        var deliveries = new Task[_partitions.Length];
        var appenders = new Task[_spool is null ? 0 : _partitions.Length];
        for (var i = 0; i < _partitions.Length; i++)
        {
            deliveries[i] = _spool is null ? _partitions[i].RunAsync() : _partitions[i].RunFromSpoolAsync(_spool);
            if (_spool is not null)
            {
                appenders[i] = _partitions[i].StartAppender(_spool);
            }
        }

        try
        {
            await ReadLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSenderFailed(_logger, ex);
        }

        // Shutdown: stop accepting, batch what is queued, deliver it within the deadline.
        _queue.Close();
        try
        {
            while (_queue.Reader.TryRead(out var e))
            {
                await AddAsync(e, _deadline.Token).ConfigureAwait(false);
            }

            foreach (var partition in _partitions)
            {
                await partition.FlushAsync(_deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Deadline reached while handing batches over: count what is left below.
        }

        foreach (var partition in _partitions)
        {
            partition.Complete();
        }

        await Task.WhenAll(appenders).ConfigureAwait(false); // every batch handed to the spool is on disk
        _spool?.Complete();
        await Task.WhenAll(deliveries).ConfigureAwait(false);

        long unsent = 0;
        while (_queue.Reader.TryRead(out _))
        {
            unsent++;
        }

        foreach (var partition in _partitions)
        {
            unsent += partition.DiscardPending();
        }

        _metrics.AddDropped(DropReason.ShutdownDeadline, unsent);
        var lost = _metrics.DroppedFor(DropReason.ShutdownDeadline);
        if (lost > 0)
        {
            LogShutdownLoss(_logger, lost, _options.ShutdownTimeout);
        }

        if (_spool is { } spool && _metrics.Spooled > 0)
        {
            LogSpooledAtShutdown(_logger, _metrics.Spooled);
        }
    }

    private async Task ReadLoopAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        Task<bool>? waitForData = null;
        var flushTicks = (long)(_options.FlushInterval.TotalSeconds * _time.TimestampFrequency);
        while (!stoppingToken.IsCancellationRequested)
        {
            while (reader.TryRead(out var e))
            {
                await AddAsync(e, stoppingToken).ConfigureAwait(false);
            }

            // Flush partial batches that are FlushInterval old; find when the next one will be.
            var now = _time.GetTimestamp();
            var nextDue = long.MaxValue;
            foreach (var partition in _partitions)
            {
                if (partition.Current.Count == 0)
                {
                    continue;
                }

                var due = partition.Current.StartedTimestamp + flushTicks;
                if (due <= now)
                {
                    await partition.FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                else if (due < nextDue)
                {
                    nextDue = due;
                }
            }

            waitForData ??= reader.WaitToReadAsync(stoppingToken).AsTask();
            if (nextDue == long.MaxValue)
            {
                if (!await waitForData.ConfigureAwait(false))
                {
                    return;
                }

                waitForData = null;
                continue;
            }

            var delay = TimeSpan.FromSeconds((nextDue - now) / (double)_time.TimestampFrequency);
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delayTask = Task.Delay(delay, _time, timer.Token);
            var first = await Task.WhenAny(waitForData, delayTask).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            if (first == waitForData)
            {
                if (!await waitForData.ConfigureAwait(false))
                {
                    return;
                }

                waitForData = null;
            }
        }
    }

    private async ValueTask AddAsync(TrackedEvent e, CancellationToken cancellationToken)
    {
        Partition partition;
        try
        {
            if (!HasUsableToken && _time.GetUtcNow().UtcTicks - e.TimestampTicks > StaleTicks)
            {
                // Matomo needs the token for a cdt older than 24 h; sending it with a wrong time would corrupt reports.
                _metrics.AddDropped(DropReason.StaleWithoutToken);
                NoteStaleDropped();
                return;
            }

            if (!HitEncoder.HasValidNumbers(in e))
            {
                // A negative or non-finite amount would be stored as a wrong figure (or refused): never sent, counted.
                _metrics.AddDropped(DropReason.InvalidNumber);
                return;
            }

            var visitorId = _encoder.VisitorId(e);
            partition = _partitions[StableHash(visitorId) % _partitions.Length];
            var batch = partition.Current;
            batch.Begin(_time.GetTimestamp());
            var withIp = HasUsableToken;
            try
            {
                _encoder.Encode(e, visitorId, withIp, batch.Writer);
            }
            catch (Exception)
            {
                batch.AbandonEntry();
                throw;
            }

            batch.EndEntry(e.TimestampTicks, withIp && e.Request.RemoteIp is not null && _options.SendVisitorIp);
        }
        catch (Exception ex)
        {
            _metrics.AddDropped(DropReason.EncodingFailed);
            LogEncodingFailed(_logger, ex);
            return;
        }

        if (partition.Current.Count >= _options.BatchSize)
        {
            await partition.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A hash of the visitor id that is the same in every process (string hashes are randomised per process).</summary>
    private static int StableHash(string visitorId)
    {
        var hash = 2166136261u;
        foreach (var c in visitorId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & int.MaxValue);
    }

    /// <summary>
    /// Delivers a batch from entry <paramref name="start"/> on, and accounts for every entry. Returns how many entries,
    /// from the first, have a final fate; fewer than <see cref="Batch.Count"/> only when the shutdown deadline came.
    /// </summary>
    /// <param name="source">The batch.</param>
    /// <param name="start">Entries before this one are already done (a batch replayed from the spool).</param>
    /// <param name="writer">The body writer of the calling lane.</param>
    /// <param name="commit">Called each time a longer prefix of the batch is done (the spool's acknowledgement).</param>
    internal async Task<int> DeliverBatchAsync(Batch source, int start, BulkRequestWriter writer, Action<int>? commit)
    {
        var delivery = new Delivery(this, source, start, commit);
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

    private enum SliceOutcome
    {
        /// <summary>Every entry of the slice has a final fate, counted.</summary>
        Done,

        /// <summary>The token was refused: what is left must be prepared again without it.</summary>
        TokenRefused,

        /// <summary>The shutdown deadline came: what is left stays unsent (and, with the spool, on disk).</summary>
        Halted,
    }

    /// <summary>Sends entries [<paramref name="first"/>, +<paramref name="count"/>) of the prepared batch until their fate is final.</summary>
    /// <param name="delivery">The batch being delivered.</param>
    /// <param name="first">First entry of the slice.</param>
    /// <param name="count">Entries in the slice.</param>
    /// <param name="writer">The body writer.</param>
    /// <param name="answersAtFirstFailure">The count of delivered answers when the enclosing slice was first failed whole by Matomo; -1 at the top.</param>
    private async Task<SliceOutcome> DeliverSliceAsync(Delivery delivery, int first, int count, BulkRequestWriter writer, long answersAtFirstFailure)
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
            if (tokenBound > 0 && !HasUsableToken)
            {
                return SliceOutcome.TokenRefused;
            }

            var token = (tokenBound > 0 || _tokenAlwaysNeeded) && HasUsableToken ? _options.TokenAuth : null;
            var gated = false;
            DeliveryResult result;
            try
            {
                if (token is not null && Volatile.Read(ref _tokenState) != TokenConfirmed)
                {
                    // Until Matomo has accepted the token once, one request at a time carries it: a wrong token then
                    // costs one or two failed logins, not one per lane.
                    await _tokenGate.WaitAsync(_deadline.Token).ConfigureAwait(false);
                    gated = true;
                    if (!HasUsableToken)
                    {
                        continue;
                    }
                }

                var body = writer.Write(batch, first, count, token, redactToken: _logOnly);
                result = await _transport.SendAsync(body, count, _deadline.Token).ConfigureAwait(false);
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
                    _tokenGate.Release();
                }
            }

            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    Interlocked.Increment(ref _deliveredAnswers);
                    if (token is not null)
                    {
                        JudgeToken(result, tokenBound, count);
                    }

                    Account(delivery, first, count, result);
                    return SliceOutcome.Done;

                case DeliveryStatus.Rejected:
                    _metrics.AddRejected(count);
                    LogBatchRejected(_logger, count, result.HttpStatus);
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                case DeliveryStatus.Unauthorized:
                    if (token is not null)
                    {
                        NoteTokenRejected(result.HttpStatus);
                        return SliceOutcome.TokenRefused;
                    }

                    if (!_tokenAlwaysNeeded && HasUsableToken)
                    {
                        // The server requires authentication for every bulk request (bulk_requests_require_authentication).
                        _tokenAlwaysNeeded = true;
                        continue;
                    }

                    // Refused without a usable token at all: sending it again cannot help.
                    _metrics.AddRejected(count);
                    LogBatchRejected(_logger, count, result.HttpStatus);
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                case DeliveryStatus.Ambiguous when _options.DeliveryGuarantee == DeliveryGuarantee.AtMostOnce:
                    _metrics.AddAmbiguous(count);
                    _metrics.AddDropped(DropReason.Unconfirmed, count);
                    LogAmbiguous(_logger, count, result.Error ?? "unknown", "dropped");
                    delivery.FinalizeThrough(first + count);
                    return SliceOutcome.Done;

                default: // Retryable, or Ambiguous under at-least-once
                    if (result.Status == DeliveryStatus.Ambiguous)
                    {
                        _metrics.AddAmbiguous(count);
                        LogAmbiguous(_logger, count, result.Error ?? "unknown", "sent again");
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
                        if (wholeFailures >= 2 && (Interlocked.Read(ref _deliveredAnswers) > answersAtFirstFailure || attempt >= _options.MaxRetries))
                        {
                            _metrics.AddDropped(DropReason.Poison);
                            LogPoison(_logger, delivery.SourceIndex(first), delivery.Source.Count, result.Error ?? "HTTP 500");
                            delivery.FinalizeThrough(first + 1);
                            return SliceOutcome.Done;
                        }
                    }
                    else
                    {
                        wholeFailures = 0;
                    }

                    attempt++;
                    if (attempt > _options.MaxRetries && _spool is null)
                    {
                        _metrics.AddDropped(DropReason.RetriesExhausted, count);
                        LogRetriesExhausted(_logger, count, attempt, result.HttpStatus, result.Error ?? string.Empty);
                        delivery.FinalizeThrough(first + count);
                        return SliceOutcome.Done;
                    }

                    _metrics.AddRetry();
                    try
                    {
                        await Task.Delay(Backoff(attempt, result.RetryAfter), _time, _deadline.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return SliceOutcome.Halted;
                    }

                    break;
            }
        }
    }

    private void Account(Delivery delivery, int first, int count, DeliveryResult result)
    {
        var tracked = Math.Min(result.Tracked, count);
        var invalid = Math.Min(result.Invalid, count - tracked);
        _metrics.AddSent(tracked);
        _metrics.AddRejected(invalid);
        _metrics.AddDropped(DropReason.Unconfirmed, count - tracked - invalid);
        if (invalid > 0)
        {
            LogInvalidEntries(_logger, invalid, count);
        }

        delivery.FinalizeThrough(first + count);
    }

    /// <summary>
    /// What a bulk answer says of the token it carried. <c>invalid_indices</c> are sent to an accepted super user's
    /// token only; fewer invalid entries than entries needing the token means some of them passed: accepted. As many
    /// or more, while entries that did not need it passed: refused. Everything invalid is also what a wrong
    /// <c>idsite</c> gives, so that must be seen twice (with at most two failed logins) before the token is given up.
    /// </summary>
    private void JudgeToken(DeliveryResult result, int tokenBound, int count)
    {
        if (tokenBound == 0 || TokenRejected)
        {
            return;
        }

        if (result.InvalidIndices is not null || result.Invalid < tokenBound)
        {
            Interlocked.CompareExchange(ref _tokenState, TokenConfirmed, TokenUnknown);
            Interlocked.CompareExchange(ref _tokenState, TokenConfirmed, TokenSuspect);
            return;
        }

        if (result.Invalid < count || Interlocked.CompareExchange(ref _tokenState, TokenSuspect, TokenUnknown) != TokenUnknown)
        {
            NoteTokenRejected(200);
        }
    }

    private void NoteTokenRejected(int status)
    {
        Volatile.Write(ref _tokenState, TokenRefused);
        if (Interlocked.Exchange(ref _tokenWarningLogged, 1) == 0)
        {
            LogTokenRejected(_logger, status);
        }
    }

    private void NoteStaleDropped()
    {
        if (Interlocked.Exchange(ref _staleWarningLogged, 1) == 0)
        {
            LogStaleDropped(_logger);
        }
    }

    /// <summary>Capped exponential backoff with full jitter; <c>Retry-After</c> wins when longer, capped too.</summary>
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var cap = _options.MaxRetryDelay;
        var exponential = TimeSpan.FromMilliseconds(Math.Min(cap.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt, 30) - 1)));
        var jittered = TimeSpan.FromMilliseconds(exponential.TotalMilliseconds * (0.5 + (Random.Shared.NextDouble() * 0.5)));
        if (retryAfter is { } after && after > jittered)
        {
            return after < cap ? after : cap;
        }

        return jittered;
    }

    /// <summary>
    /// One batch on its way: the source entries, and what is actually sent. That is the source itself in the usual case
    /// (nothing delivered yet, nothing to leave out or change); otherwise a prepared copy (entries older than 24 hours
    /// left out when there is no usable token, <c>cip</c> stripped once the token was refused), with the map back. The
    /// copy is made only when needed: copying every batch cost a new buffer of the batch's size (about 50 KB per 100
    /// events) per delivery, which lived through the HTTP request and so was promoted out of gen0.
    /// </summary>
    private sealed class Delivery(PiwikSender owner, Batch source, int start, Action<int>? commit)
    {
        private List<int>? _map;
        private List<bool>? _staleDropped;
        private Batch? _copy;

        public Batch Source { get; } = source;

        public Batch Prepared { get; private set; } = source;

        /// <summary>Source entries, from the first, whose fate is final and counted.</summary>
        public int Committed { get; private set; } = start;

        public void Prepare()
        {
            var usable = owner.HasUsableToken;
            var now = owner._time.GetUtcNow().UtcTicks;
            if (Committed == 0 && (usable || !AnyNeedsToken(now)))
            {
                // Sent as it is: the identity map.
                Prepared = Source;
                _map = null;
                return;
            }

            _copy ??= new Batch();
            _map ??= new List<int>();
            _staleDropped ??= new List<bool>();
            var prepared = _copy;
            prepared.Reset();
            _map.Clear();
            _staleDropped.Clear();
            for (var i = 0; i < Source.Count; i++)
            {
                _staleDropped.Add(false);
                if (i < Committed)
                {
                    continue;
                }

                var ticks = Source.EventTicks(i);
                if (!usable && now - ticks > StaleTicks)
                {
                    _staleDropped[i] = true;
                    owner.NoteStaleDropped();
                    continue;
                }

                var hasIp = Source.HasIp(i);
                var entry = Source.Entry(i);
                if (hasIp && !usable)
                {
                    prepared.Add(EntryParameters.Without(entry, "cip"u8), ticks, hasIp: false);
                }
                else
                {
                    prepared.Add(entry, ticks, hasIp);
                }

                _map.Add(i);
            }

            Prepared = prepared;
        }

        /// <summary>Whether an entry would have to be left out or changed without a usable token.</summary>
        private bool AnyNeedsToken(long now)
        {
            for (var i = 0; i < Source.Count; i++)
            {
                if (Source.HasIp(i) || now - Source.EventTicks(i) > StaleTicks)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Entries of a prepared slice that need the token: with <c>cip</c>, or older than 24 hours.</summary>
        public int TokenBound(int first, int count)
        {
            var now = owner._time.GetUtcNow().UtcTicks;
            var bound = 0;
            for (var i = first; i < first + count; i++)
            {
                if (Prepared.HasIp(i) || now - Prepared.EventTicks(i) > StaleTicks)
                {
                    bound++;
                }
            }

            return bound;
        }

        public int SourceIndex(int prepared) => _map is null ? prepared : _map[prepared];

        /// <summary>Marks prepared entries before <paramref name="preparedEnd"/> final: counts the stale entries left out on the way, and commits.</summary>
        public void FinalizeThrough(int preparedEnd)
        {
            var sourceEnd = _map is null
                ? Math.Min(preparedEnd, Source.Count)
                : preparedEnd < _map.Count ? _map[preparedEnd] : Source.Count;
            if (sourceEnd <= Committed)
            {
                return;
            }

            if (_map is not null)
            {
                var stale = 0;
                for (var i = Committed; i < sourceEnd; i++)
                {
                    stale += _staleDropped![i] ? 1 : 0;
                }

                owner._metrics.AddDropped(DropReason.StaleWithoutToken, stale);
            }

            Committed = sourceEnd;
            commit?.Invoke(sourceEnd);
        }
    }

    /// <summary>One lane of delivery: a batch being filled, and a one-slot hand-off to its delivery loop (or the spool).</summary>
    private sealed class Partition
    {
        private readonly PiwikSender _owner;
        private readonly int _index;
        private readonly Channel<Batch> _ready = Channel.CreateBounded<Batch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });

        // With the spool: full batches on their way to disk. The read loop hands a batch over and goes on reading while
        // the lane's appender writes and fsyncs it; what piled up meanwhile goes to disk with one fsync next time
        // (BatchSpool.AppendAll), and the lanes' appenders share fsyncs too (BatchSpool's group commit). So the slower
        // the disk, the more batches each fsync covers.
        private const int SpoolHandOff = 4;
        private readonly Channel<Batch> _toSpool = Channel.CreateBounded<Batch>(new BoundedChannelOptions(SpoolHandOff) { SingleReader = true, SingleWriter = true });
        private readonly Stack<Batch> _free = new();
        private readonly BulkRequestWriter _writer = new();

        public Partition(PiwikSender owner, int index)
        {
            _owner = owner;
            _index = index;
            Current = new Batch();
        }

        public Batch Current { get; private set; }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (Current.Count == 0)
            {
                return;
            }

            // With the spool: on disk before it is sent (the lane reads it back from there), and memory stays bounded
            // during an outage, since appending never waits for Matomo.
            await (_owner._spool is null ? _ready : _toSpool).Writer.WriteAsync(Current, cancellationToken).ConfigureAwait(false);
            lock (_free)
            {
                Current = _free.Count > 0 ? _free.Pop() : new Batch();
            }
        }

        public void Complete()
        {
            _ready.Writer.TryComplete();
            _toSpool.Writer.TryComplete();
        }

        /// <summary>
        /// Appends this lane's full batches to the spool, in order, on a thread of its own: an append blocks for its
        /// fsync (about a millisecond, more on a busy disk), which should hold up neither the read loop nor a
        /// thread-pool thread. Ends when <see cref="Complete"/> was called and every batch handed over is appended.
        /// </summary>
        public Task StartAppender(BatchSpool spool)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                var reader = _toSpool.Reader;
                var batches = new Batch[SpoolHandOff];
                try
                {
                    while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                    {
                        var count = 0;
                        while (count < batches.Length && reader.TryRead(out var batch))
                        {
                            batches[count++] = batch;
                        }

                        try
                        {
                            spool.AppendAll(batches.AsSpan(0, count), _index); // counts its own drops (spool_full, spool_failed)
                        }
                        catch (Exception ex)
                        {
                            long lost = 0;
                            for (var i = 0; i < count; i++)
                            {
                                lost += batches[i].Count;
                            }

                            _owner._metrics.AddDropped(DropReason.SpoolFailed, lost);
                            LogSenderFailed(_owner._logger, ex);
                        }

                        lock (_free)
                        {
                            foreach (var batch in batches.AsSpan(0, count))
                            {
                                batch.Reset();
                                _free.Push(batch);
                            }
                        }

                        Array.Clear(batches);
                    }
                }
                finally
                {
                    done.TrySetResult();
                }
            })
            {
                IsBackground = true,
                Name = "Piwik spool " + _index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            thread.Start();
            return done.Task;
        }

        /// <summary>Counts and forgets what was never delivered.</summary>
        public long DiscardPending()
        {
            long count = Current.Count;
            Current.Reset();
            while (_ready.Reader.TryRead(out var batch))
            {
                count += batch.Count;
                batch.Reset();
            }

            return count;
        }

        public async Task RunAsync()
        {
            await foreach (var batch in _ready.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                try
                {
                    var done = await _owner.DeliverBatchAsync(batch, 0, _writer, null).ConfigureAwait(false);
                    _owner._metrics.AddDropped(DropReason.ShutdownDeadline, batch.Count - done);
                }
                catch (Exception ex)
                {
                    _owner._metrics.AddDropped(DropReason.RetriesExhausted, batch.Count);
                    LogSenderFailed(_owner._logger, ex);
                }

                batch.Reset();
                lock (_free)
                {
                    _free.Push(batch);
                }

                if (_owner._deadline.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        /// <summary>Delivers this lane's batches from the spool, oldest first, until the spool is completed or the deadline comes.</summary>
        public async Task RunFromSpoolAsync(BatchSpool spool)
        {
            var batch = new Batch();
            while (true)
            {
                SpoolRecord? record;
                try
                {
                    record = await spool.TakeAsync(_index, batch, _owner._deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (record is null)
                {
                    return;
                }

                try
                {
                    var done = await _owner.DeliverBatchAsync(batch, record.Done, _writer, n => spool.Commit(record, n)).ConfigureAwait(false);
                    if (done < batch.Count)
                    {
                        spool.Release(record); // kept on disk for the next start
                        return;
                    }
                }
                catch (Exception ex)
                {
                    spool.Release(record);
                    LogSenderFailed(_owner._logger, ex);
                }
            }
        }
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Piwik:Url is not configured: batches are written to the log instead of being sent to Matomo.")]
    private static partial void LogNoUrl(ILogger logger);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Piwik:VisitorIdSecret is not configured: visitor ids use a random key that changes when the process restarts. Set the same secret on every instance for stable visitor ids.")]
    private static partial void LogEphemeralSecret(ILogger logger);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Matomo answered {Invalid} of {Count} bulk entries as invalid.")]
    private static partial void LogInvalidEntries(ILogger logger, int invalid, int count);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Matomo refused a bulk request of {Count} event(s) with HTTP {Status}; it is not retried.")]
    private static partial void LogBatchRejected(ILogger logger, int count, int status);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Matomo refused Piwik:TokenAuth (HTTP {Status}). The token is no longer sent: visitor IPs (cip) and events older than 24 hours are left out. Matomo blocks an IP after 20 failed logins an hour: fix the token and restart.")]
    private static partial void LogTokenRejected(ILogger logger, int status);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Gave up on a bulk request of {Count} event(s) after {Attempts} attempts (last HTTP status {Status}, error {Error}).")]
    private static partial void LogRetriesExhausted(ILogger logger, int count, int attempts, int status, string error);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Delivery of {Count} event(s) has an unknown outcome ({Error}): Matomo may have stored them; {Action} as configured by Piwik:DeliveryGuarantee.")]
    private static partial void LogAmbiguous(ILogger logger, int count, string error, string action);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "Events older than 24 hours are dropped (counted in piwik.events.dropped, reason stale_without_token): Matomo needs Piwik:TokenAuth to accept their time. Logged once.")]
    private static partial void LogStaleDropped(ILogger logger);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Error, Message = "An event could not be encoded and was dropped.")]
    private static partial void LogEncodingFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Shutdown: {Count} event(s) could not be sent to Matomo within Piwik:ShutdownTimeout ({Timeout}) and were dropped.")]
    private static partial void LogShutdownLoss(ILogger logger, long count, TimeSpan timeout);

    [LoggerMessage(EventId = 1099, Level = LogLevel.Error, Message = "The Piwik sender failed unexpectedly.")]
    private static partial void LogSenderFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Error, Message = "Matomo fails every bulk request that holds entry {Index} of a batch of {Count} (HTTP 500: {Reason}); that entry is dead-lettered (counted in piwik.events.dropped, reason poison) and the rest is delivered.")]
    private static partial void LogPoison(ILogger logger, int index, int count, string reason);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Error, Message = "Piwik:SpoolDirectory could not be opened; running without the spool.")]
    private static partial void LogSpoolUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Information, Message = "Shutdown: {Count} event(s) not yet confirmed by Matomo stay in the spool and are sent at the next start.")]
    private static partial void LogSpooledAtShutdown(ILogger logger, long count);
}
