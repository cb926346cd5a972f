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
/// visitor id, encodes the entry into the batch of the visitor's <see cref="Lane"/>, and hands full (or
/// <see cref="PiwikOptions.FlushInterval"/>-old) batches to that lane. Each lane delivers one batch at a time
/// (<see cref="BatchDelivery"/>) and retries it before the next, so a visitor's events reach Matomo in order while
/// <see cref="PiwikOptions.MaxConcurrentBatches"/> lanes have a batch in flight.
/// <para>
/// With a <see cref="PiwikOptions.SpoolDirectory"/>, the hand-off goes through the durable <see cref="BatchSpool"/>
/// instead: a batch is on disk before it is sent, acknowledged once its fate is final, and waits there (instead of
/// being dropped) for as long as Matomo is unreachable.
/// </para>
/// </summary>
internal sealed class PiwikSender : BackgroundService
{
    private readonly EventQueue _queue;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger<PiwikSender> _logger;
    private readonly TimeProvider _time;
    private readonly PiwikOptions _options;
    private readonly EntryEncoder _encoder;
    private readonly TokenPolicy _token;
    private readonly BatchDelivery _delivery;
    private readonly Lane[] _lanes;
    private readonly bool _logOnly;
    private readonly CancellationTokenSource _deadline = new();
    private readonly long _fillGoalTicks;
    private BatchSpool? _spool;
    private long _wakeUps;

    public PiwikSender(EventQueue queue, IBulkTransport transport, PiwikMetrics metrics, IOptions<PiwikOptions> options, ILogger<PiwikSender> logger, TimeProvider time)
    {
        _queue = queue;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _options = options.Value;
        _logOnly = _options.Url is null;
        _encoder = new EntryEncoder(_options, logger);
        _token = new TokenPolicy(_options, logger, time);
        InFlight = new InFlightLimit(_options.MaxConcurrentBatches, _options.AdaptiveConcurrency, _options.BatchSize, _options.RequestTimeout, time);
        _delivery = new BatchDelivery(new LimitedBulkTransport(transport, InFlight), metrics, logger, time, _options, _token, _deadline.Token);
        _fillGoalTicks = (long)(FillGoal.TotalSeconds * time.TimestampFrequency);
        _lanes = new Lane[_options.MaxConcurrentBatches];
        var handOff = new SemaphoreSlim(Lane.HandOffPerLane * _lanes.Length);
        for (var i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new Lane(i, _options.BatchSize, _delivery, metrics, logger, handOff, _deadline.Token);
        }
    }

    /// <summary>
    /// Under sustained traffic a lane's batches grow (<see cref="Lane.Target"/>) while each fills within this, up to
    /// <see cref="LargestBatch"/> events (and <see cref="Batch.MaxBytes"/>), and while Matomo answers such a batch
    /// within this too: an event waits at most about this long for its batch to fill, and a busy lane sends a few
    /// batches a second instead of hundreds.
    /// </summary>
    internal static readonly TimeSpan FillGoal = TimeSpan.FromMilliseconds(250);

    /// <summary>The most events a batch grows to (the largest <see cref="PiwikOptions.BatchSize"/> allowed).</summary>
    internal const int LargestBatch = PiwikOptions.MaxBatchSize;

    /// <summary>How many bulk requests may be in flight: one per lane at most, fewer while Matomo cannot take more.</summary>
    internal InFlightLimit InFlight { get; }

    /// <summary>Whether Matomo refused the token: <c>cip</c> and old events are no longer sent with it.</summary>
    internal bool TokenRejected => _token.Rejected;

    /// <summary>Whether Matomo blocks this IP's token (too many failed logins); it is held for an hour.</summary>
    internal bool TokenBlocked => _token.Blocked;

    /// <summary>How many times the read loop woke up (a batch's worth of events, the first event, or a flush timer).</summary>
    internal long WakeUps => Interlocked.Read(ref _wakeUps);

    /// <summary>What the last failed bulk request got, or null.</summary>
    internal string? LastFailure => _delivery.LastFailure;

    /// <summary>The spool, when <see cref="PiwikOptions.SpoolDirectory"/> is set and it could be opened.</summary>
    internal BatchSpool? Spool => _spool;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            if (_logOnly)
            {
                SenderLog.NoUrl(_logger);
            }

            if (VisitorIdGenerator.IsEphemeral(_options.VisitorIdSecret))
            {
                SenderLog.EphemeralSecret(_logger);
            }
        }

        if (_options.SpoolDirectory is not null && !_logOnly)
        {
            try
            {
                // Opened here, before any event is read, so what an earlier process left is counted and goes first.
                _spool = BatchSpool.Open(_options, _lanes.Length, _metrics, _logger, _time);
                _delivery.RetryForever = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SenderLog.SpoolUnavailable(_logger, ex);
            }
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Our own deadline, well inside the host's: what is not sent by then is counted and logged once (or, with
        // the spool, kept on disk for the next start).
        _delivery.BeginStop(_time.GetTimestamp() + (long)(_options.ShutdownTimeout.TotalSeconds * _time.TimestampFrequency));
        _deadline.CancelAfter(_options.ShutdownTimeout);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _deadline.Dispose();
        _token.Dispose();
        _spool?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up host start-up
        var deliveries = new Task[_lanes.Length];
        var appenders = new Task[_spool is null ? 0 : _lanes.Length];
        for (var i = 0; i < _lanes.Length; i++)
        {
            deliveries[i] = _spool is null ? _lanes[i].RunAsync() : _lanes[i].RunFromSpoolAsync(_spool);
            if (_spool is not null)
            {
                appenders[i] = _lanes[i].StartAppender(_spool);
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
            SenderLog.SenderFailed(_logger, ex);
        }

        // Shutdown: stop accepting, batch what is queued, deliver it within the deadline.
        _queue.Close();
        try
        {
            while (AddQueued() is { } full)
            {
                await FlushFullAsync(full, _deadline.Token).ConfigureAwait(false);
            }

            foreach (var lane in _lanes)
            {
                await lane.FlushAsync(_deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Deadline reached while handing batches over: count what is left below.
        }

        foreach (var lane in _lanes)
        {
            lane.Complete();
        }

        await Task.WhenAll(appenders).ConfigureAwait(false); // every batch handed to the spool is on disk
        _spool?.Complete();
        await Task.WhenAll(deliveries).ConfigureAwait(false);

        long unsent = 0;
        while (_queue.Reader.TryRead(out _))
        {
            unsent++;
        }

        foreach (var lane in _lanes)
        {
            unsent += lane.DiscardPending();
        }

        _spool?.DiscardInMemory(); // batches the disk could not keep and Matomo did not take in time: counted as shutdown_deadline

        _metrics.AddDropped(DropReason.ShutdownDeadline, unsent);
        var lost = _metrics.DroppedFor(DropReason.ShutdownDeadline);
        if (lost > 0)
        {
            SenderLog.ShutdownLoss(_logger, lost, _options.ShutdownTimeout);
        }

        if (_spool is { } spool && _metrics.Spooled > 0)
        {
            SenderLog.SpooledAtShutdown(_logger, _metrics.Spooled);
        }
    }

    /// <summary>
    /// Batches what is queued, and waits: for a batch's worth of events while a batch is being filled (and its flush
    /// timer, <see cref="PiwikOptions.FlushInterval"/> after its first event), or for the first event when nothing is
    /// pending. No polling: an idle app makes no wake-up at all, a busy one about one per batch.
    /// </summary>
    private async Task ReadLoopAsync(CancellationToken stoppingToken)
    {
        var flushTicks = (long)(_options.FlushInterval.TotalSeconds * _time.TimestampFrequency);
        while (!stoppingToken.IsCancellationRequested)
        {
            while (AddQueued() is { } full)
            {
                await FlushFullAsync(full, stoppingToken).ConfigureAwait(false);
            }

            // Flush partial batches that are FlushInterval old; find when the next one will be.
            var now = _time.GetTimestamp();
            var nextDue = long.MaxValue;
            var fewestMissing = int.MaxValue;
            var filling = 0;
            foreach (var lane in _lanes)
            {
                if (lane.Current.Count == 0)
                {
                    continue;
                }

                filling++;

                // Events until the lane's batch is full, or, below the batch size, until it holds the batch size (its
                // flush timer then shortens, below).
                fewestMissing = Math.Min(fewestMissing, (lane.Current.Count < _options.BatchSize ? _options.BatchSize : lane.Target) - lane.Current.Count);

                // A batch already holding BatchSize events waits for a grown target only briefly.
                var due = lane.Current.StartedTimestamp + (lane.Current.Count >= _options.BatchSize ? Math.Min(flushTicks, 2 * _fillGoalTicks) : flushTicks);
                if (due <= now)
                {
                    lane.NoteFlushedByTimer();
                    await lane.FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                else if (due < nextDue)
                {
                    nextDue = due;
                }
            }

            if (nextDue == long.MaxValue)
            {
                await _queue.WaitAsync(1, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                // Whole milliseconds, rounded up: a timer rounds a shorter wait down to none, and the loop then spun until the
                // batch was due (hundreds of wake-ups in its last millisecond, seen once a batch waited for a grown target).
                var delay = TimeSpan.FromMilliseconds(Math.Ceiling((nextDue - now) * 1000.0 / _time.TimestampFrequency));
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var data = _queue.WaitAsync(WakeThreshold(fewestMissing, filling, _queue.Capacity), timer.Token);
                var flush = Task.Delay(delay, _time, timer.Token);
                await Task.WhenAny(data, flush).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }

            Interlocked.Increment(ref _wakeUps);
            if (_queue.IsClosed)
            {
                return;
            }
        }
    }

    /// <summary>
    /// How many queued events wake the read loop while batches are being filled: enough to complete the nearest lane's
    /// batch (or bring it to the batch size) if events keep spreading over the lanes being filled as they do, so about
    /// one wake per batch. Waiting for only the nearest lane's missing events, as if they all went there, woke the loop
    /// every 20-30 events with eight lanes in use (each wake a thread-pool hop, a timer and a linked token). At most a
    /// quarter of the queue, so the queue never fills while the loop sleeps, and half its first ring (1,024), so a busy
    /// app's events stay in that ring (<see cref="TieredEventRing"/>: the GC scans what the queue's writes touched); always
    /// at least one.
    /// </summary>
    internal static int WakeThreshold(int fewestMissing, int lanesFilling, int queueCapacity) =>
        (int)Math.Clamp((long)fewestMissing * Math.Max(1, lanesFilling), 1, Math.Max(1, Math.Min(queueCapacity / 4, TieredEventRing.FirstTierCapacity / 2)));

    /// <summary>
    /// Encodes the queued events until a lane's batch is full (returned, for the caller to flush) or the queue is empty
    /// (null). Synchronous, so each event is read into a local on the stack, not into the async state machine. While it
    /// encodes an event, the CPU fetches the next one's strings (<see cref="EventQueue.PrefetchNext"/>).
    /// </summary>
    private Lane? AddQueued()
    {
        // The clock once per call, not per event (a vDSO call, 40 ns under load): it only tells events a day old.
        var nowTicks = _time.GetUtcNow().UtcTicks;
        var reader = _queue.Reader;
        while (reader.TryRead(out var e))
        {
            _queue.PrefetchNext();
            if (Add(in e, nowTicks) is { } full)
            {
                return full;
            }
        }

        return null;
    }

    /// <summary>
    /// Encodes an event into its lane's batch; returns the lane when that batch is now full (the caller flushes it), else
    /// null. Synchronous, the event by reference: no state machine and no copy of the event per event.
    /// </summary>
    /// <param name="e">The event.</param>
    /// <param name="nowTicks">UTC now, read when the caller began taking events.</param>
    private Lane? Add(in TrackedEvent e, long nowTicks)
    {
        Lane lane;
        try
        {
            if (!_token.Usable && TokenPolicy.IsStale(nowTicks, e.TimestampTicks))
            {
                // Matomo needs the token for a cdt older than 24 h; sending it with a wrong time would corrupt reports.
                _metrics.AddDropped(DropReason.StaleWithoutToken);
                _token.NoteStaleDropped();
                return null;
            }

            if (!HitEncoder.HasValidNumbers(in e))
            {
                // A negative or non-finite amount would be stored as a wrong figure (or refused): never sent, counted.
                _metrics.AddDropped(DropReason.InvalidNumber);
                return null;
            }

            var visitorId = _encoder.VisitorId(in e);
            lane = _lanes[Lane.For(visitorId, _lanes.Length)];
            var batch = lane.Current;
            batch.Begin(_time);
            var withIp = _token.Usable;
            try
            {
                _encoder.Encode(in e, visitorId, withIp, batch.Writer);
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
            SenderLog.EncodingFailed(_logger, ex);
            return null;
        }

        return lane.Current.Count >= lane.Target || lane.Current.ByteCount >= Batch.MaxBytes ? lane : null;
    }

    /// <summary>Hands a lane's full batch on, noting how fast it filled (batch growth).</summary>
    private ValueTask FlushFullAsync(Lane lane, CancellationToken cancellationToken)
    {
        lane.NoteFull(_time.GetElapsedTime(lane.Current.StartedTimestamp), FillGoal, _delivery.BatchSizeCap(_options.BatchSize, LargestBatch, FillGoal));
        return lane.FlushAsync(cancellationToken);
    }
}
