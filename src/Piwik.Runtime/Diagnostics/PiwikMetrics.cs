using System.Diagnostics.Metrics;

namespace Piwik.Diagnostics;

/// <summary>
/// The <c>Piwik</c> meter's instruments, made once, plus exact totals kept beside them so the accounting identity
/// <c>enqueued + restored = sent + rejected + dropped + spooled + pending</c> can be checked in-process (tests, health
/// checks). <c>restored</c> is what a process found in the spool at start (written by an earlier process); it is zero
/// without a spool. Once the sender is idle, <c>pending</c> (queued or in a batch in memory) is zero.
/// </summary>
internal sealed class PiwikMetrics : IDisposable
{
    public const string MeterName = "Piwik";

    private static readonly int ReasonCount = Enum.GetValues<DropReason>().Length;

    private readonly Meter _meter;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _ambiguous;
    private readonly UpDownCounter<long> _spooled;
    private readonly Counter<long> _restored;
    private readonly Histogram<double> _batchDuration;
    private readonly KeyValuePair<string, object?>[][] _reasonTags;
    private readonly long[] _droppedByReason = new long[ReasonCount];
    private long _notQueuedTotal;
    private Func<long>? _accepted;
    private long _sentTotal;
    private long _rejectedTotal;
    private long _spooledTotal;
    private long _retriesTotal;
    private long _ambiguousTotal;
    private long _restoredTotal;

    public PiwikMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _dropped = _meter.CreateCounter<long>("piwik.events.dropped", "{event}", "Events not delivered, by reason.");
        _sent = _meter.CreateCounter<long>("piwik.events.sent", "{event}", "Events Matomo confirmed as tracked.");
        _rejected = _meter.CreateCounter<long>("piwik.events.rejected", "{event}", "Events Matomo answered as invalid.");
        _spooled = _meter.CreateUpDownCounter<long>("piwik.events.spooled", "{event}", "Events held in the disk spool, waiting to be replayed.");
        _restored = _meter.CreateCounter<long>("piwik.events.restored", "{event}", "Events found in the disk spool at start, written there by an earlier process; they are then counted as sent, rejected or dropped like the rest.");
        _retries = _meter.CreateCounter<long>("piwik.requests.retries", "{request}", "Bulk requests sent again after a failure.");
        _ambiguous = _meter.CreateCounter<long>("piwik.events.ambiguous", "{event}", "Events in bulk requests whose outcome was unknown (timeout or broken connection after sending).");
        _batchDuration = _meter.CreateHistogram<double>("piwik.batch.duration", "s", "Time to deliver one bulk request, retries included.");
        _reasonTags = new KeyValuePair<string, object?>[ReasonCount][];
        for (var i = 0; i < ReasonCount; i++)
        {
            _reasonTags[i] = [new("reason", ((DropReason)i).ToTag())];
        }
    }

    /// <summary>
    /// Events recorded: those the queue accepted, plus those dropped before they reached it (queue full or closed, or
    /// the request could not be captured), so that every drop reason balances.
    /// </summary>
    public long Enqueued => (Volatile.Read(ref _accepted)?.Invoke() ?? 0) + Volatile.Read(ref _notQueuedTotal);

    public long Sent => Volatile.Read(ref _sentTotal);

    public long Rejected => Volatile.Read(ref _rejectedTotal);

    public long Spooled => Volatile.Read(ref _spooledTotal);

    public long Retries => Volatile.Read(ref _retriesTotal);

    /// <summary>Events found in the spool at start (see the class remarks).</summary>
    public long Restored => Volatile.Read(ref _restoredTotal);

    /// <summary>Events whose fate is decided: sent, rejected, dropped or held in the spool.</summary>
    public long Accounted => Sent + Rejected + Dropped + Spooled;

    public void AddRestored(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _restoredTotal, count);
            _restored.Add(count);
        }
    }

    public long Dropped
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _droppedByReason.Length; i++)
            {
                total += Volatile.Read(ref _droppedByReason[i]);
            }

            return total;
        }
    }

    public long DroppedFor(DropReason reason) => Volatile.Read(ref _droppedByReason[(int)reason]);

    /// <summary>
    /// Registers the queue once it exists: <paramref name="accepted"/> is its running total of accepted events, which
    /// it keeps anyway (its tail position), so the request path pays no counter of its own. <c>piwik.events.enqueued</c>
    /// is therefore an observable counter: accepted plus dropped before the queue.
    /// </summary>
    public void ObserveQueue(Func<long> queueLength, Func<long> accepted)
    {
        Volatile.Write(ref _accepted, accepted);
        _meter.CreateObservableGauge("piwik.queue.length", queueLength, "{event}", "Events waiting in memory to be batched.");
        _meter.CreateObservableCounter("piwik.events.enqueued", () => Enqueued, "{event}", "Events recorded, including those then dropped.");
    }

    public void AddDropped(DropReason reason, long count = 1)
    {
        if (count <= 0)
        {
            return;
        }

        if (reason.IsBeforeQueue())
        {
            // Never in the queue's accepted total: counted as recorded here, so the identity holds for this reason too.
            Interlocked.Add(ref _notQueuedTotal, count);
        }

        Interlocked.Add(ref _droppedByReason[(int)reason], count);
        _dropped.Add(count, _reasonTags[(int)reason]);
    }

    public void AddSent(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _sentTotal, count);
            _sent.Add(count);
        }
    }

    public void AddRejected(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _rejectedTotal, count);
            _rejected.Add(count);
        }
    }

    public void AddSpooled(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _spooledTotal, count);
            _spooled.Add(count);
        }
    }

    /// <summary>Takes back events counted as spooled when they are replayed from the spool (they are then counted again as sent, rejected or dropped).</summary>
    public void RemoveSpooled(long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _spooledTotal, -count);
            _spooled.Add(-count);
        }
    }

    public long Ambiguous => Volatile.Read(ref _ambiguousTotal);

    public void AddAmbiguous(long count)
    {
        Interlocked.Add(ref _ambiguousTotal, count);
        _ambiguous.Add(count);
    }

    public void AddRetry()
    {
        Interlocked.Increment(ref _retriesTotal);
        _retries.Add(1);
    }

    public void RecordBatchDuration(TimeSpan elapsed)
    {
        if (_batchDuration.Enabled)
        {
            _batchDuration.Record(elapsed.TotalSeconds);
        }
    }

    public void Dispose() => _meter.Dispose();
}
