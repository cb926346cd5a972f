using Piwik.Capture;
using Xunit;

namespace Piwik.Runtime.Tests;

/// <summary>The lock-free queue between the request path and the sender: bounds, order, and nothing lost or doubled.</summary>
public sealed class EventRingTests
{
    [Fact]
    public void Holds_exactly_its_capacity_then_refuses_and_reads_in_order()
    {
        var ring = new EventRing(5); // 8 slots underneath: the bound is still 5
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, i)));
        }

        Assert.Equal(EventRing.WriteResult.Full, ring.TryWrite(Event(0, 5)));
        Assert.Equal(5, ring.Count);

        Assert.True(ring.TryRead(out var first));
        Assert.Equal(0, first.TimestampTicks);
        Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, 6))); // one freed, one accepted

        var read = new List<long>();
        while (ring.TryRead(out var e))
        {
            read.Add(e.TimestampTicks);
        }

        Assert.Equal([1, 2, 3, 4, 6], read);
        Assert.Equal(0, ring.Count);
        Assert.Equal(6, ring.Accepted);
        Assert.False(ring.HasReadable);
    }

    [Fact]
    public void Wraps_around_many_laps()
    {
        var ring = new EventRing(3);
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, i)));
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, i + 1)));
            Assert.True(ring.TryRead(out var a));
            Assert.True(ring.TryRead(out var b));
            Assert.Equal((i, i + 1), (a.TimestampTicks, b.TimestampTicks));
        }
    }

    [Fact]
    public void Close_refuses_later_writes_and_keeps_what_was_written()
    {
        var ring = new EventRing(10);
        ring.TryWrite(Event(0, 1));
        ring.TryWrite(Event(0, 2));
        ring.Close();

        Assert.True(ring.IsClosed);
        Assert.Equal(EventRing.WriteResult.Closed, ring.TryWrite(Event(0, 3)));
        Assert.True(ring.TryRead(out var a));
        Assert.True(ring.TryRead(out var b));
        Assert.False(ring.TryRead(out _));
        Assert.Equal((1, 2), (a.TimestampTicks, b.TimestampTicks));
        Assert.Equal(2, ring.Accepted);
    }

    [Fact]
    public void A_read_slot_no_longer_holds_the_request_strings()
    {
        var ring = new EventRing(4);
        var weak = WriteAndReadOnce(ring);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.TryGetTarget(out _));
    }

    /// <summary>
    /// Four writers race one reader on a small ring, and the ring is closed while they write: every write the ring
    /// accepted is read exactly once, in each writer's order, and every other write was told it was refused.
    /// </summary>
    [Fact]
    public async Task Many_writers_one_reader_and_a_close_lose_and_double_nothing()
    {
        for (var round = 0; round < 6; round++)
        {
            var ring = new EventRing(64);
            await RaceAsync(new Queue(e => ring.TryWrite(e), ring.TryRead, ring.Close, () => ring.IsClosed, () => ring.Count, () => ring.Accepted), 10_000 + (round * 1_000));
        }
    }

    /// <summary>The operations of a ring under test (<see cref="EventRing"/> or <see cref="TieredEventRing"/>).</summary>
    internal sealed record Queue(
        Func<TrackedEvent, EventRing.WriteResult> TryWrite,
        TryReadEvent TryRead,
        Action Close,
        Func<bool> IsClosed,
        Func<int> Count,
        Func<long> Accepted);

    internal delegate bool TryReadEvent(out TrackedEvent item);

    /// <summary>
    /// Four writers race one reader, which closes the queue after <paramref name="readsBeforeClose"/> reads while they
    /// still write: every accepted write is read exactly once, in each writer's order, and every other one was refused.
    /// </summary>
    internal static async Task RaceAsync(Queue ring, int readsBeforeClose)
    {
        const int Writers = 4;
        var accepted = new long[Writers];
        var start = new Barrier(Writers + 1);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            while (true) // until the reader closes the ring
            {
                var result = ring.TryWrite(Event(w, accepted[w]));
                if (result == EventRing.WriteResult.Accepted)
                {
                    accepted[w]++;
                }
                else if (result == EventRing.WriteResult.Closed)
                {
                    return;
                }

                if ((accepted[w] & 63) == 0)
                {
                    Thread.Yield(); // two cores: let the others run too
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var next = new long[Writers];
        var reader = Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            var reads = 0;
            try
            {
                ReadUntilClosed();
            }
            finally
            {
                ring.Close(); // a failed assertion stops the writers too, instead of leaving them spinning
            }

            void ReadUntilClosed()
            {
                while (true)
                {
                    if (ring.TryRead(out var e))
                    {
                        var writer = int.Parse(e.Action, System.Globalization.CultureInfo.InvariantCulture);
                        Assert.Equal(next[writer], e.TimestampTicks); // in order, none skipped or repeated
                        next[writer]++;
                        if (++reads == readsBeforeClose)
                        {
                            ring.Close(); // while the writers are still writing
                        }
                    }
                    else if (ring.IsClosed() && ring.Count() == 0)
                    {
                        return;
                    }
                }
            }
        }, TaskCreationOptions.LongRunning);

        await Task.WhenAll(writers);
        await reader;
        while (ring.TryRead(out var late))
        {
            next[int.Parse(late.Action, System.Globalization.CultureInfo.InvariantCulture)]++;
        }

        Assert.Equal(accepted, next);
        Assert.Equal(accepted.Sum(), ring.Accepted());
    }

    private static WeakReference<string> WriteAndReadOnce(EventRing ring)
    {
        var userAgent = new string('u', 40);
        var snapshot = new RequestSnapshot(true, "h", null, "/", null, userAgent, null, null, null);
        ring.TryWrite(new TrackedEvent(TrackedEventKind.Event, 0, "c", "a", TrackedValue.None, TrackedValue.None, snapshot, null));
        Assert.True(ring.TryRead(out _));
        return new WeakReference<string>(userAgent);
    }

    internal static TrackedEvent Event(int writer, long sequence) =>
        new(TrackedEventKind.Event, sequence, "c", writer.ToString(System.Globalization.CultureInfo.InvariantCulture), TrackedValue.None, TrackedValue.None, default, null);
}
