using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Diagnostics;

namespace Piwik.Capture;

/// <summary>
/// The bounded queue between the request path and the background sender. Writing is one <c>TryWrite</c>: when the
/// queue is full the event is dropped and counted, never waited for, and a warning is logged at most once a minute.
/// </summary>
internal sealed partial class EventQueue
{
    private static readonly long DropLogIntervalTicks = TimeSpan.FromMinutes(1).Ticks;

    private readonly Channel<TrackedEvent> _channel;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _nextDropLogTicks;
    private long _droppedSinceLog;

    public EventQueue(IOptions<PiwikOptions> options, PiwikMetrics metrics, ILogger<EventQueue> logger, TimeProvider time)
    {
        Capacity = options.Value.QueueCapacity;
        _channel = Channel.CreateBounded<TrackedEvent>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails fast instead of evicting accepted events.
            AllowSynchronousContinuations = false,
        });
        _metrics = metrics;
        _logger = logger;
        _time = time;
        metrics.ObserveQueueLength(() => _channel.Reader.Count);
    }

    public int Capacity { get; }

    public int Count => _channel.Reader.Count;

    public ChannelReader<TrackedEvent> Reader => _channel.Reader;

    /// <summary>Offers an event. Never blocks, never throws.</summary>
    public bool TryEnqueue(in TrackedEvent trackedEvent)
    {
        _metrics.AddEnqueued();
        if (_channel.Writer.TryWrite(trackedEvent))
        {
            return true;
        }

        var closed = _channel.Reader.Completion.IsCompleted || _closed;
        _metrics.AddDropped(closed ? DropReason.ShuttingDown : DropReason.QueueFull);
        if (!closed)
        {
            NoteQueueFull();
        }

        return false;
    }

    private volatile bool _closed;

    /// <summary>Stops accepting events; what is queued can still be read.</summary>
    public void Close()
    {
        _closed = true;
        _channel.Writer.TryComplete();
    }

    private void NoteQueueFull()
    {
        Interlocked.Increment(ref _droppedSinceLog);
        var now = _time.GetTimestamp();
        var next = Volatile.Read(ref _nextDropLogTicks);
        if (now < next)
        {
            return;
        }

        var interval = (long)(DropLogIntervalTicks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
        if (Interlocked.CompareExchange(ref _nextDropLogTicks, now + interval, next) == next)
        {
            LogQueueFull(_logger, Interlocked.Exchange(ref _droppedSinceLog, 0), Capacity);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Piwik queue is full ({Capacity} events): {Dropped} event(s) dropped since the last warning. Matomo is slow or unreachable, or Piwik:QueueCapacity is too small.")]
    private static partial void LogQueueFull(ILogger logger, long dropped, int capacity);
}
