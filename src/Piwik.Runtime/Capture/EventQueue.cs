using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Diagnostics;

namespace Piwik.Capture;

/// <summary>
/// The bounded queue between the request path and the background sender: a <see cref="TieredEventRing"/>. Writing is one
/// lock-free <c>TryWrite</c>: when the queue is full the event is dropped and counted, never waited for, and a warning
/// is logged at most once a minute.
/// </summary>
/// <remarks>
/// The sender parks on a signal with a threshold (<see cref="WaitAsync"/>): a write wakes it only when it brings the
/// queue to that many events. Idle, the threshold is one event (the first starts the flush timer); with a batch being
/// filled, it is a batch's worth (the flush timer covers the rest). So a request wakes the sender at most once per
/// batch, not once per request (a wake is a thread-pool work item and often a system call), and an idle app wakes
/// nobody: no polling.
/// </remarks>
internal sealed partial class EventQueue
{

    private readonly TieredEventRing _ring;
    private readonly SignallingReader _reader;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger _logger;
    private readonly LogLimiter _queueFullLog;

    public EventQueue(IOptions<PiwikOptions> options, PiwikMetrics metrics, ILogger<EventQueue> logger, TimeProvider time)
    {
        _ring = new TieredEventRing(options.Value.QueueCapacity);
        _reader = new SignallingReader(_ring);
        _metrics = metrics;
        _logger = logger;
        _queueFullLog = new LogLimiter(time, TimeSpan.FromMinutes(1));
        metrics.ObserveQueue(() => _ring.Count, () => _ring.Accepted);
    }

    public int Capacity => _ring.Capacity;

    public int Count => _ring.Count;

    /// <summary>Whether <see cref="Close"/> was called.</summary>
    public bool IsClosed => _ring.IsClosed;

    /// <summary>The sender's side (one reader); its <c>WaitToReadAsync</c> waits for one event (see the remarks).</summary>
    public ChannelReader<TrackedEvent> Reader => _reader;

    /// <summary>
    /// Asks the CPU to fetch the strings of the event the reader takes next, if one is written: the sender encodes an
    /// event while they arrive (<see cref="EventPrefetch"/>). Only the reader calls it; a hint, it changes nothing.
    /// </summary>
    public void PrefetchNext() => _ring.PrefetchNext();

    /// <summary>
    /// Completes when the queue holds at least <paramref name="threshold"/> events, or is closed. One reader only; a
    /// new call replaces the previous wait.
    /// </summary>
    public Task WaitAsync(int threshold, CancellationToken cancellationToken) => _reader.WaitAsync(threshold, cancellationToken);

    /// <summary>Offers an event. Never blocks, never throws.</summary>
    public bool TryEnqueue(in TrackedEvent trackedEvent)
    {
        var result = _ring.TryWrite(trackedEvent);
        if (result == EventRing.WriteResult.Accepted)
        {
            _reader.Written();
            return true;
        }

        var closed = result == EventRing.WriteResult.Closed;
        _metrics.AddDropped(closed ? DropReason.ShuttingDown : DropReason.QueueFull);
        if (!closed)
        {
            NoteQueueFull();
        }

        return false;
    }

    /// <summary>Stops accepting events; what is queued (including writes already under way) can still be read.</summary>
    public void Close()
    {
        _ring.Close();
        _reader.Closed();
    }

    private void NoteQueueFull()
    {
        if (_queueFullLog.Note(out var dropped))
        {
            LogQueueFull(_logger, dropped, Capacity);
        }
    }

    /// <summary>The ring as a <see cref="ChannelReader{T}"/> whose waiting is a signal with a threshold (see the remarks).</summary>
    private sealed class SignallingReader(TieredEventRing ring) : ChannelReader<TrackedEvent>
    {
        private Waiter? _waiter;

        public override bool CanCount => true;

        public override int Count => ring.Count;

        public override bool TryRead(out TrackedEvent item) => ring.TryRead(out item);

        public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            await WaitAsync(1, cancellationToken).ConfigureAwait(false);
            return ring.HasReadable || (ring.IsClosed ? ring.Count > 0 : true);
        }

        public Task WaitAsync(int threshold, CancellationToken cancellationToken)
        {
            if (Ready(threshold))
            {
                return Task.CompletedTask;
            }

            var waiter = new Waiter(threshold);
            Volatile.Write(ref _waiter, waiter);

            // A write between the check above and the store would have found no waiter to wake: look again.
            if (Ready(threshold))
            {
                Interlocked.CompareExchange(ref _waiter, null, waiter);
                return Task.CompletedTask;
            }

            return cancellationToken.CanBeCanceled ? waiter.Signal.Task.WaitAsync(cancellationToken) : waiter.Signal.Task;
        }

        /// <summary>On the request path after each accepted write: one volatile read, unless the sender waits.</summary>
        public void Written()
        {
            var waiter = Volatile.Read(ref _waiter);
            if (waiter is not null && ring.Count >= waiter.Threshold && Interlocked.CompareExchange(ref _waiter, null, waiter) == waiter)
            {
                waiter.Signal.TrySetResult(); // runs the sender's continuation on the thread pool, not here
            }
        }

        public void Closed() => Interlocked.Exchange(ref _waiter, null)?.Signal.TrySetResult();

        private bool Ready(int threshold) => ring.IsClosed || (ring.Count >= threshold && ring.HasReadable);

        private sealed class Waiter(int threshold)
        {
            public int Threshold { get; } = threshold;

            public TaskCompletionSource Signal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Piwik queue is full ({Capacity} events): {Dropped} event(s) dropped since the last warning. Matomo is slow or unreachable, or Piwik:QueueCapacity is too small.")]
    private static partial void LogQueueFull(ILogger logger, long dropped, int capacity);
}
