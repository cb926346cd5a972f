using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Encoding;

namespace Piwik.Sending;

/// <summary>
/// The one background service between the queue and Matomo. A read loop takes events off the queue, computes each
/// visitor id, encodes the entry into the batch of the visitor's partition, and hands full (or
/// <see cref="PiwikOptions.FlushInterval"/>-old) batches to that partition's delivery loop. Each partition delivers one
/// batch at a time and retries it before the next, so a visitor's events reach Matomo in order while
/// <see cref="PiwikOptions.MaxConcurrentBatches"/> batches are in flight.
/// </summary>
internal sealed partial class PiwikSender : BackgroundService
{
    private static readonly long StaleTicks = TimeSpan.FromHours(24).Ticks;

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
    private volatile bool _tokenRejected;
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
        _encoder = new EntryEncoder(_options);
        _partitions = new Partition[_options.MaxConcurrentBatches];
        for (var i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = new Partition(this);
        }
    }

    /// <summary>Whether Matomo refused the token: <c>cip</c> and old events are no longer sent with it.</summary>
    internal bool TokenRejected => _tokenRejected;

    private bool HasUsableToken => _options.TokenAuth is not null && !_tokenRejected;

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

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Our own deadline, well inside the host's: what is not sent by then is counted and logged once.
        _deadline.CancelAfter(_options.ShutdownTimeout);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _deadline.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up host start-up
        var deliveries = new Task[_partitions.Length];
        for (var i = 0; i < _partitions.Length; i++)
        {
            deliveries[i] = _partitions[i].RunAsync();
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
                if (Interlocked.Exchange(ref _staleWarningLogged, 1) == 0)
                {
                    LogStaleDropped(_logger);
                }

                return;
            }

            var visitorId = _encoder.VisitorId(e);
            partition = _partitions[(visitorId.GetHashCode() & int.MaxValue) % _partitions.Length];
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

            batch.EndEntry(e.TimestampTicks);
            batch.HasTokenBoundEntries |= withIp && e.Request.RemoteIp is not null && _options.SendVisitorIp;
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

    /// <summary>Delivers one batch: sends, reads the counts, retries what may be retried, accounts for every entry.</summary>
    private async Task DeliverAsync(Batch batch, BulkRequestWriter writer)
    {
        var started = _time.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            if (_deadline.IsCancellationRequested)
            {
                _metrics.AddDropped(DropReason.ShutdownDeadline, batch.Count);
                return;
            }

            var token = _tokenRejected ? null : _options.TokenAuth;

            var body = writer.Write(batch, 0, batch.Count, token, redactToken: _logOnly);
            DeliveryResult result;
            try
            {
                result = await _transport.SendAsync(body, batch.Count, _deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
            {
                _metrics.AddDropped(DropReason.ShutdownDeadline, batch.Count);
                return;
            }
            catch (Exception ex)
            {
                result = new DeliveryResult(DeliveryStatus.Retryable, Error: ex.GetType().Name);
            }

            switch (result.Status)
            {
                case DeliveryStatus.Delivered:
                    Account(batch, result);
                    _metrics.RecordBatchDuration(_time.GetElapsedTime(started));
                    return;

                case DeliveryStatus.Rejected:
                    _metrics.AddRejected(batch.Count);
                    LogBatchRejected(_logger, batch.Count, result.HttpStatus);
                    return;

                case DeliveryStatus.Unauthorized:
                    NoteTokenRejected(result.HttpStatus);
                    if (token is null)
                    {
                        // Refused without a token at all: the server requires authentication for bulk requests.
                        _metrics.AddRejected(batch.Count);
                        return;
                    }

                    continue; // once more without the token: entries with cip will come back invalid, the rest count

                case DeliveryStatus.Ambiguous when _options.DeliveryGuarantee == DeliveryGuarantee.AtMostOnce:
                    _metrics.AddAmbiguous(batch.Count);
                    _metrics.AddDropped(DropReason.Unconfirmed, batch.Count);
                    LogAmbiguous(_logger, batch.Count, result.Error ?? "unknown", "dropped");
                    return;

                default: // Retryable, or Ambiguous under at-least-once
                    if (result.Status == DeliveryStatus.Ambiguous)
                    {
                        _metrics.AddAmbiguous(batch.Count);
                        LogAmbiguous(_logger, batch.Count, result.Error ?? "unknown", "sent again");
                    }

                    attempt++;
                    if (attempt > _options.MaxRetries)
                    {
                        _metrics.AddDropped(DropReason.RetriesExhausted, batch.Count);
                        LogRetriesExhausted(_logger, batch.Count, attempt, result.HttpStatus, result.Error ?? string.Empty);
                        return;
                    }

                    _metrics.AddRetry();
                    try
                    {
                        await Task.Delay(Backoff(attempt, result.RetryAfter), _time, _deadline.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        _metrics.AddDropped(DropReason.ShutdownDeadline, batch.Count);
                        return;
                    }

                    break;
            }
        }
    }

    private void Account(Batch batch, DeliveryResult result)
    {
        var tracked = Math.Min(result.Tracked, batch.Count);
        var invalid = Math.Min(result.Invalid, batch.Count - tracked);
        _metrics.AddSent(tracked);
        _metrics.AddRejected(invalid);
        _metrics.AddDropped(DropReason.Unconfirmed, batch.Count - tracked - invalid);
        if (invalid > 0)
        {
            LogInvalidEntries(_logger, invalid, batch.Count);
            if (batch.HasTokenBoundEntries && invalid == batch.Count)
            {
                // Every entry carried cip and every one was refused: the token is the likely cause. Stop using it.
                NoteTokenRejected(200);
            }
        }
    }

    private void NoteTokenRejected(int status)
    {
        _tokenRejected = true;
        if (Interlocked.Exchange(ref _tokenWarningLogged, 1) == 0)
        {
            LogTokenRejected(_logger, status);
        }
    }

    /// <summary>Capped exponential backoff with full jitter; <c>Retry-After</c> wins when longer, capped too.</summary>
    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var cap = _options.MaxRetryDelay;
        var exponential = TimeSpan.FromMilliseconds(Math.Min(cap.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1)));
        var jittered = TimeSpan.FromMilliseconds(exponential.TotalMilliseconds * (0.5 + (Random.Shared.NextDouble() * 0.5)));
        if (retryAfter is { } after && after > jittered)
        {
            return after < cap ? after : cap;
        }

        return jittered;
    }

    /// <summary>One lane of delivery: a batch being filled, and a one-slot hand-off to its delivery loop.</summary>
    private sealed class Partition
    {
        private readonly PiwikSender _owner;
        private readonly Channel<Batch> _ready = Channel.CreateBounded<Batch>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        private readonly Stack<Batch> _free = new();
        private readonly BulkRequestWriter _writer = new();

        public Partition(PiwikSender owner)
        {
            _owner = owner;
            Current = new Batch();
        }

        public Batch Current { get; private set; }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (Current.Count == 0)
            {
                return;
            }

            await _ready.Writer.WriteAsync(Current, cancellationToken).ConfigureAwait(false);
            lock (_free)
            {
                Current = _free.Count > 0 ? _free.Pop() : new Batch();
            }
        }

        public void Complete() => _ready.Writer.TryComplete();

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
                    await _owner.DeliverAsync(batch, _writer).ConfigureAwait(false);
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
}
