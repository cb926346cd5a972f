namespace Piwik.Sending;

/// <summary>
/// How many bulk requests may be in flight at once: a gate in front of the transport, shared by every lane, whose
/// limit finds Matomo's capacity by itself within a cap. It never reorders a lane: it only decides how many lanes send
/// at once, and lanes waiting for a permit get it in the order they asked.
/// <para>
/// The rule, after the latency-based limiters (Netflix concurrency-limits' Gradient2 and Vegas, Envoy's adaptive
/// concurrency): Matomo stores a bulk in one transaction per PHP worker, so while there are idle workers (and cores)
/// another request in flight adds throughput and leaves each entry's latency where it was; once they are all busy,
/// another request only waits, and the latency per entry grows with the queue. The yardstick is the latency per entry
/// of a request sent alone. Once per window (as many answers as the limit: a round of every permit):
/// </para>
/// <list type="bullet">
/// <item>an answer that says Matomo is overloaded (a timeout, 429, 502-504, a refused connection) halves the limit;</item>
/// <item>a latency per entry above <see cref="Tolerance"/> times the yardstick, or requests taking more than half of
/// <see cref="PiwikOptions.RequestTimeout"/>, take one away (a request that times out is sent again: on a Matomo
/// already too slow, that was a storm of duplicates in bench/matomo-burst.sh with 8 fixed in flight);</item>
/// <item>else, if the limit held a lane back in the window (it is what bounds throughput), it grows by one.</item>
/// </list>
/// <para>
/// As Envoy does, the yardstick is measured again every <see cref="ProbeInterval"/>: the limit drops to one until a
/// request was answered alone, then goes back. Without that, latency measured under load would become the new normal
/// and the limit would creep up to the cap (seen in the model: 8 in flight on 2 workers). A window faster than the
/// yardstick lowers it at once.
/// </para>
/// <para>
/// Only answers to full batches (at least half the batch size) are latency samples: a small batch says there is no
/// backlog, and its fixed cost per request would read as congestion. With nothing to send the limit stays where it
/// is. A fixed limit (<see cref="PiwikOptions.AdaptiveConcurrency"/> off) is the cap, always.
/// </para>
/// </summary>
internal sealed class InFlightLimit
{
    /// <summary>How much slower than the best recent window an entry may get before the limit backs off.</summary>
    internal const double Tolerance = 2.0;

    /// <summary>How often the latency of a request alone is measured again.</summary>
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Queue<TaskCompletionSource<Permit>> _waiting = new();
    private readonly TimeProvider _time;
    private readonly int _fullBatch;
    private readonly double _slowRequestMs;
    private readonly bool _adaptive;
    private int _inFlight;

    // The yardstick: the latency per entry of a request alone, in milliseconds (0 until the first window).
    private double _alone;
    private long _probeDue;
    private bool _probing;
    private int _limitBeforeProbe;
    private int _epoch;

    // The current window.
    private int _samples;
    private double _latencySum;
    private double _requestLatencySum;
    private readonly TimeSpan _requestTimeout;
    private bool _overloaded;
    private bool _heldBack;

    /// <param name="cap">The most requests in flight (<see cref="PiwikOptions.MaxConcurrentBatches"/>).</param>
    /// <param name="adaptive">Whether the limit moves; if not, it is <paramref name="cap"/>.</param>
    /// <param name="batchSize">The batch size: answers to batches of at least half of it are latency samples.</param>
    /// <param name="requestTimeout">The timeout of a request: the limit keeps requests well inside it.</param>
    /// <param name="time">The clock requests are timed with.</param>
    public InFlightLimit(int cap, bool adaptive, int batchSize, TimeSpan requestTimeout, TimeProvider time)
    {
        _slowRequestMs = requestTimeout.TotalMilliseconds / 2;
        _requestTimeout = requestTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        Cap = cap;
        _adaptive = adaptive;
        _fullBatch = Math.Max(1, batchSize / 2);
        _time = time;
        Limit = adaptive ? Math.Min(2, cap) : cap;
    }

    /// <summary>The most requests in flight the limit may reach.</summary>
    public int Cap { get; }

    /// <summary>The requests allowed in flight now.</summary>
    public int Limit { get; private set; }

    /// <summary>
    /// How long a request waits for its answer: at least <paramref name="timeout"/>, and, with several requests allowed in
    /// flight, <see cref="PiwikOptions.RequestTimeout"/> for each of them (up to four): requests sent at once queue inside
    /// Matomo (its PHP workers, its database's locks), so the last one's answer waits for the others'. Waiting only one
    /// request's timeout gave up on answers that were coming, and the batch, sent again, was stored twice (a real
    /// Matomo with 8 requests in flight on two cores answered in 6-10 s against a 10 s timeout, bench/NOTES.md).
    /// </summary>
    public TimeSpan TimeoutFor(TimeSpan timeout)
    {
        int limit;
        lock (_gate)
        {
            limit = Limit;
        }

        var queued = _requestTimeout.Ticks * Math.Min(limit, 4);
        return timeout.Ticks >= queued ? timeout : TimeSpan.FromTicks(queued);
    }

    /// <summary>The requests in flight now.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>The lanes waiting for a permit now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count(w => !w.Task.IsCompleted);
            }
        }
    }

    /// <summary>Takes a permit if one is free now.</summary>
    public bool TryAcquire([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Permit? permit)
    {
        lock (_gate)
        {
            if (_inFlight < Limit && _waiting.Count == 0)
            {
                permit = NewPermit();
                return true;
            }

            _heldBack = true;
        }

        permit = null;
        return false;
    }

    /// <summary>Waits for a permit; permits go to waiters in the order they asked.</summary>
    public ValueTask<Permit> AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<Permit> waiter;
        lock (_gate)
        {
            if (_inFlight < Limit && _waiting.Count == 0)
            {
                return ValueTask.FromResult(NewPermit());
            }

            _heldBack = true;
            waiter = new TaskCompletionSource<Permit>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter);
        }

        return new ValueTask<Permit>(WaitAsync(waiter, cancellationToken));
    }

    private static async Task<Permit> WaitAsync(TaskCompletionSource<Permit> waiter, CancellationToken cancellationToken)
    {
        // A cancelled waiter stays in the queue, completed: the next release skips it.
        using (cancellationToken.Register(static w => ((TaskCompletionSource<Permit>)w!).TrySetCanceled(), waiter))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    private Permit NewPermit() => new(this, _time.GetTimestamp(), alone: _inFlight++ == 0, _epoch);

    private void Release(long started, bool alone, int epoch, int entries, RequestOutcome outcome)
    {
        lock (_gate)
        {
            _inFlight--;
            if (_adaptive)
            {
                Observe(started, alone && epoch == _epoch, epoch == _epoch, entries, outcome);
            }

            while (_inFlight < Limit && _waiting.TryDequeue(out var next))
            {
                if (!next.TrySetResult(NewPermit()))
                {
                    _inFlight--; // that wait was cancelled: nobody holds the permit
                }
            }
        }
    }

    /// <param name="started">When the request got its permit.</param>
    /// <param name="alone">Whether it was the only request in flight when it started, under the current limit.</param>
    /// <param name="current">Whether it started under the current limit: one that started before the last change
    /// measures the old limit, and would make the window lag behind (the limit then overshoots by a step or two).</param>
    /// <param name="entries">Entries in the request.</param>
    /// <param name="outcome">What the answer says.</param>
    private void Observe(long started, bool alone, bool current, int entries, RequestOutcome outcome)
    {
        var full = outcome == RequestOutcome.Answered && entries >= _fullBatch && current;
        var requestLatency = full ? _time.GetElapsedTime(started).TotalMilliseconds : 0;
        var latency = requestLatency / Math.Max(1, entries);
        if (_probing)
        {
            if (outcome == RequestOutcome.Overloaded)
            {
                EndProbe(Math.Max(1, _limitBeforeProbe / 2));
            }
            else if (full && alone)
            {
                _alone = latency;
                EndProbe(_limitBeforeProbe);
            }

            return;
        }

        switch (outcome)
        {
            case RequestOutcome.Overloaded:
                _overloaded = true;
                break;
            case RequestOutcome.Answered when full:
                _latencySum += latency;
                _requestLatencySum += requestLatency;
                break;
            default:
                return; // says nothing about Matomo's capacity
        }

        if (++_samples < Math.Max(2, Limit))
        {
            return;
        }

        var now = _time.GetTimestamp();
        if (_overloaded)
        {
            SetLimit(Math.Max(1, Limit / 2));
        }
        else
        {
            var windowLatency = _latencySum / _samples;
            if (_alone == 0 || windowLatency < _alone)
            {
                _alone = windowLatency;
            }

            if (windowLatency > _alone * Tolerance || _requestLatencySum / _samples > _slowRequestMs)
            {
                SetLimit(Math.Max(1, Limit - 1));
            }
            else if (_heldBack)
            {
                SetLimit(Math.Min(Cap, Limit + 1));
            }

            if (_probeDue == 0)
            {
                _probeDue = now + (long)(ProbeInterval.TotalSeconds * _time.TimestampFrequency);
            }
            else if (now >= _probeDue && Limit > 1)
            {
                _probing = true;
                _limitBeforeProbe = Limit;
                SetLimit(1);
            }
        }

        StartWindow();
    }

    private void EndProbe(int limit)
    {
        _probing = false;
        SetLimit(limit);
        _probeDue = _time.GetTimestamp() + (long)(ProbeInterval.TotalSeconds * _time.TimestampFrequency);
        StartWindow();
    }

    private void SetLimit(int limit)
    {
        if (limit != Limit)
        {
            Limit = limit;
            _epoch++;
        }
    }

    private void StartWindow()
    {
        _samples = 0;
        _latencySum = 0;
        _requestLatencySum = 0;
        _overloaded = false;
        _heldBack = _waiting.Count > 0;
    }

    /// <summary>What an answer says about Matomo's capacity.</summary>
    internal enum RequestOutcome
    {
        /// <summary>Matomo answered and stored (or judged) the batch: its time is a latency sample.</summary>
        Answered,

        /// <summary>Matomo is overloaded or unreachable: a timeout, 429, 502-504, a refused connection.</summary>
        Overloaded,

        /// <summary>An answer that says nothing about capacity (a rejected batch, a refused token, a poison entry).</summary>
        Neutral,
    }

    /// <summary>One request in flight. <see cref="Complete"/> it with what Matomo answered; disposing it without does not count.</summary>
    internal sealed class Permit : IDisposable
    {
        private readonly long _started;
        private readonly bool _alone;
        private readonly int _epoch;
        private InFlightLimit? _owner;

        internal Permit(InFlightLimit owner, long started, bool alone, int epoch)
        {
            _owner = owner;
            _started = started;
            _alone = alone;
            _epoch = epoch;
        }

        /// <summary>Hands the permit back with the answer to a request of <paramref name="entries"/> entries (once; later calls do nothing).</summary>
        public void Complete(int entries, RequestOutcome outcome) =>
            Interlocked.Exchange(ref _owner, null)?.Release(_started, _alone, _epoch, entries, outcome);

        /// <summary>Hands the permit back, no sample (the request failed on our side).</summary>
        public void Dispose() => Complete(0, RequestOutcome.Neutral);
    }
}
