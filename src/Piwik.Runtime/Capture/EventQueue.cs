using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Diagnostics;

namespace Piwik.Capture;

/// <summary>
/// The bounded queue between the request path and the background sender: an <see cref="EventRing"/>. Writing is one
/// lock-free <c>TryWrite</c>: when the queue is full the event is dropped and counted, never waited for, and a warning
/// is logged at most once a minute.
/// </summary>
/// <remarks>
/// The sender does not park waiting for a write: a reader that a write must wake makes the request path queue a work
/// item to the thread pool and often wake a thread (a system call), once per request whenever the sender keeps up.
/// <see cref="Reader"/> instead polls an empty queue every 10 to 100 milliseconds (<see cref="PollInterval"/>), so a
/// write never has a reader to wake. Events wait at most that long more before joining a batch, which waits up to
/// <c>FlushInterval</c> anyway.
/// </remarks>
internal sealed partial class EventQueue
{

    /// <summary>How long the reader first sleeps when the queue is empty; doubled while it stays empty, up to <see cref="MaxPollInterval"/>.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest sleep of an idle reader: an idle app wakes ten times a second, not a hundred.</summary>
    internal static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(100);

    private readonly EventRing _ring;
    private readonly PollingReader _reader;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger _logger;
    private readonly LogLimiter _queueFullLog;

    public EventQueue(IOptions<PiwikOptions> options, PiwikMetrics metrics, ILogger<EventQueue> logger, TimeProvider time)
    {
        _ring = new EventRing(options.Value.QueueCapacity);
        _reader = new PollingReader(_ring);
        _metrics = metrics;
        _logger = logger;
        _queueFullLog = new LogLimiter(time, TimeSpan.FromMinutes(1));
        metrics.ObserveQueue(() => _ring.Count, () => _ring.Accepted);
    }

    public int Capacity => _ring.Capacity;

    public int Count => _ring.Count;

    /// <summary>The sender's side (one reader); its <c>WaitToReadAsync</c> polls (see the remarks).</summary>
    public ChannelReader<TrackedEvent> Reader => _reader;

    /// <summary>Offers an event. Never blocks, never throws.</summary>
    public bool TryEnqueue(in TrackedEvent trackedEvent)
    {
        var result = _ring.TryWrite(trackedEvent);
        if (result == EventRing.WriteResult.Accepted)
        {
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
    public void Close() => _ring.Close();

    private void NoteQueueFull()
    {
        if (_queueFullLog.Note(out var dropped))
        {
            LogQueueFull(_logger, dropped, Capacity);
        }
    }

    /// <summary>The ring as a <see cref="ChannelReader{T}"/> whose waiting polls instead of parking.</summary>
    private sealed class PollingReader(EventRing ring) : ChannelReader<TrackedEvent>
    {
        /// <summary>Events that make a wait end at once rather than at the next poll.</summary>
        private const int ReadyCount = 64;

        public override bool CanCount => true;

        public override int Count => ring.Count;

        public override bool TryRead(out TrackedEvent item) => ring.TryRead(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            // Ready at once only with a good handful of events (or when closing): the sender's loop costs a timer and
            // a linked token per turn, which a turn per event or two would pay for every request.
            if (ring.HasReadable && (ring.Count >= ReadyCount || ring.IsClosed))
            {
                return new ValueTask<bool>(true);
            }

            return ring.IsClosed ? new ValueTask<bool>(ring.Count > 0) : PollAsync(cancellationToken);
        }

        private async ValueTask<bool> PollAsync(CancellationToken cancellationToken)
        {
            // The system timer, not the injected TimeProvider: this is a transport detail, and a fake clock that
            // never advances must not stall the sender.
            var interval = PollInterval;
            while (true)
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                if (ring.HasReadable)
                {
                    return true;
                }

                if (ring.IsClosed)
                {
                    return ring.Count > 0;
                }

                interval = interval < MaxPollInterval ? interval * 2 : MaxPollInterval;
            }
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Piwik queue is full ({Capacity} events): {Dropped} event(s) dropped since the last warning. Matomo is slow or unreachable, or Piwik:QueueCapacity is too small.")]
    private static partial void LogQueueFull(ILogger logger, long dropped, int capacity);
}
