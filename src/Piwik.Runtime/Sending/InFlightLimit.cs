namespace Piwik.Sending;

/// <summary>
/// How many bulk requests may be in flight at once: a gate in front of the transport, shared by every lane, whose
/// limit finds Matomo's capacity by itself within a cap. It never reorders a lane: it only decides how many lanes send
/// at once, and lanes waiting for a permit get it in the order they asked.
/// <para>
/// The rule, after the latency-based limiters (Netflix concurrency-limits' Gradient2 and Vegas, Envoy's adaptive
/// concurrency): Matomo stores a bulk in one transaction per PHP worker, so while there are idle workers another
/// request in flight adds throughput and leaves each entry's latency where it was; once every worker is busy (or every
/// core), another request only waits, and the latency per entry grows with the queue. So, once per window (as many
/// answers as the limit, a round of every permit):
/// </para>
/// <list type="bullet">
/// <item>an answer that says Matomo is overloaded (a timeout, 429, 502-504, a refused connection) halves the limit;</item>
/// <item>a latency per entry more than <see cref="Tolerance"/> times the best of the last windows takes one away;</item>
/// <item>else, if the limit held a lane back in the window (it is what bounds throughput), it grows by one.</item>
/// </list>
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

    /// <summary>How many windows the best latency is remembered (so a slower Matomo, later, becomes the new normal).</summary>
    internal const int BaselineWindows = 8;

    private readonly object _gate = new();
    private readonly Queue<TaskCompletionSource<Permit>> _waiting = new();
    private readonly TimeProvider _time;
    private readonly int _fullBatch;
    private readonly bool _adaptive;
    private readonly double[] _recent = new double[BaselineWindows];
    private int _recentCount;
    private int _recentNext;
    private int _inFlight;

    // The current window.
    private int _samples;
    private double _latencySum;
    private bool _overloaded;
    private bool _heldBack;

    /// <param name="cap">The most requests in flight (<see cref="PiwikOptions.MaxConcurrentBatches"/>).</param>
    /// <param name="adaptive">Whether the limit moves; if not, it is <paramref name="cap"/>.</param>
    /// <param name="batchSize">The batch size: answers to batches of at least half of it are latency samples.</param>
    /// <param name="time">The clock requests are timed with.</param>
    public InFlightLimit(int cap, bool adaptive, int batchSize, TimeProvider time)
    {
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

    /// <summary>Takes a permit if one is free now.</summary>
    public bool TryAcquire([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Permit? permit)
    {
        lock (_gate)
        {
            if (_inFlight < Limit && _waiting.Count == 0)
            {
                _inFlight++;
                permit = new Permit(this, _time.GetTimestamp());
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
                _inFlight++;
                return ValueTask.FromResult(new Permit(this, _time.GetTimestamp()));
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
            try
            {
                return await waiter.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Granted and cancelled in the same instant: hand the permit back.
                if (waiter.Task.IsCompletedSuccessfully)
                {
                    waiter.Task.Result.Dispose();
                }

                throw;
            }
        }
    }

    private void Release(long started, int entries, RequestOutcome outcome)
    {
        lock (_gate)
        {
            _inFlight--;
            if (_adaptive)
            {
                Observe(started, entries, outcome);
            }

            while (_inFlight < Limit && _waiting.TryDequeue(out var next))
            {
                _inFlight++;
                if (!next.TrySetResult(new Permit(this, _time.GetTimestamp())))
                {
                    _inFlight--; // cancelled meanwhile
                }
            }
        }
    }

    private void Observe(long started, int entries, RequestOutcome outcome)
    {
        switch (outcome)
        {
            case RequestOutcome.Overloaded:
                _overloaded = true;
                _samples++;
                break;
            case RequestOutcome.Answered when entries >= _fullBatch:
                _latencySum += _time.GetElapsedTime(started).TotalMilliseconds / entries;
                _samples++;
                break;
            default:
                return; // says nothing about Matomo's capacity
        }

        if (_samples < Math.Max(2, Limit))
        {
            return;
        }

        if (_overloaded)
        {
            Limit = Math.Max(1, Limit / 2);
        }
        else
        {
            var latency = _latencySum / _samples;
            _recent[_recentNext] = latency;
            _recentNext = (_recentNext + 1) % _recent.Length;
            _recentCount = Math.Min(_recentCount + 1, _recent.Length);
            var best = latency;
            for (var i = 0; i < _recentCount; i++)
            {
                best = Math.Min(best, _recent[i]);
            }

            if (latency > best * Tolerance)
            {
                Limit = Math.Max(1, Limit - 1);
            }
            else if (_heldBack)
            {
                Limit = Math.Min(Cap, Limit + 1);
            }
        }

        _samples = 0;
        _latencySum = 0;
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
        private InFlightLimit? _owner;
        private readonly long _started;

        internal Permit(InFlightLimit owner, long started)
        {
            _owner = owner;
            _started = started;
        }

        /// <summary>Hands the permit back with the answer to a request of <paramref name="entries"/> entries (once; later calls do nothing).</summary>
        public void Complete(int entries, RequestOutcome outcome) =>
            Interlocked.Exchange(ref _owner, null)?.Release(_started, entries, outcome);

        /// <summary>Hands the permit back, no sample (the request failed on our side).</summary>
        public void Dispose() => Complete(0, RequestOutcome.Neutral);
    }
}
