using Piwik.Capture;
using Xunit;
using static Piwik.Runtime.Tests.EventRingTests;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The queue's two rings: the small one takes every event while the sender keeps up, the large one only while the small
/// one is full, and events written one after the other are read in that order across the two.
/// </summary>
public sealed class TieredEventRingTests
{
    [Fact]
    public void The_large_ring_takes_events_only_while_the_small_one_is_full_and_order_holds_across_them()
    {
        var ring = new TieredEventRing(8, firstTier: 3);
        for (var i = 0; i < 11; i++)
        {
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, i)));
        }

        Assert.Equal(EventRing.WriteResult.Full, ring.TryWrite(Event(0, 11))); // the large ring's bound: the capacity
        Assert.Equal(11, ring.Count);
        Assert.Equal(8, ring.InOverflow);

        // A slot of the small ring is free again, but the large one holds older events: the next one must follow them
        // there, and it is full.
        Assert.True(ring.TryRead(out var first));
        Assert.Equal(0, first.TimestampTicks);
        Assert.Equal(EventRing.WriteResult.Full, ring.TryWrite(Event(0, 12)));
        Assert.True(ring.TryRead(out _));
        Assert.True(ring.TryRead(out _));
        Assert.True(ring.TryRead(out var fromLarge)); // the small ring is empty: the large one's oldest
        Assert.Equal(3, fromLarge.TimestampTicks);
        Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, 13))); // into the large ring, after 10
        Assert.Equal(8, ring.InOverflow);

        Assert.Equal([4, 5, 6, 7, 8, 9, 10, 13], ReadAll(ring));

        // Drained: the small ring takes events again.
        Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, 14)));
        Assert.Equal(0, ring.InOverflow);
        Assert.Equal(1, ring.Count);
        Assert.Equal(13, ring.Accepted);
    }

    [Fact]
    public void Prefetching_the_next_event_takes_nothing_out_of_either_ring()
    {
        var ring = new TieredEventRing(8, firstTier: 3);
        ring.PrefetchNext(); // empty: nothing to fetch
        for (var i = 0; i < 6; i++)
        {
            // Strings of every length the hint covers, and none (a request without headers).
            var text = i % 2 == 0 ? null : new string('x', 40 * i);
            var request = new RequestSnapshot(false, text, null, text, text, text, text, text, null);
            var e = new TrackedEvent(TrackedEventKind.Event, i, "c", "a", TrackedValue.FromText(text), TrackedValue.None, request, text);
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(e));
            ring.PrefetchNext();
        }

        Assert.Equal(3, ring.InOverflow);
        var read = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ring.PrefetchNext(); // the small ring's next, then (once it is empty) the large one's
            ring.PrefetchNext();
            Assert.Equal(6 - i, ring.Count);
            Assert.True(ring.TryRead(out var e));
            read.Add(e.TimestampTicks);
        }

        ring.PrefetchNext();
        Assert.Equal([0, 1, 2, 3, 4, 5], read);
        Assert.False(ring.TryRead(out _));
    }

    [Fact]
    public void A_capacity_within_the_small_ring_is_one_ring()
    {
        var ring = new TieredEventRing(5);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, i)));
        }

        Assert.Equal(EventRing.WriteResult.Full, ring.TryWrite(Event(0, 5)));
        Assert.Equal(0, ring.InOverflow);
        Assert.Equal([0, 1, 2, 3, 4], ReadAll(ring));
    }

    [Fact]
    public void Close_refuses_later_writes_to_both_rings_and_keeps_what_they_hold()
    {
        var ring = new TieredEventRing(2, firstTier: 1);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EventRing.WriteResult.Accepted, ring.TryWrite(Event(0, i)));
        }

        ring.Close();
        Assert.True(ring.IsClosed);
        Assert.Equal(EventRing.WriteResult.Closed, ring.TryWrite(Event(0, 3)));
        Assert.True(ring.TryRead(out _));
        Assert.True(ring.TryRead(out _)); // both rings have room now, and are closed
        Assert.Equal(EventRing.WriteResult.Closed, ring.TryWrite(Event(0, 4)));
        Assert.Equal([2], ReadAll(ring));
        Assert.Equal(3, ring.Accepted);
    }

    /// <summary>With a small ring of 16, the writers overflow all the time: still each writer's order, nothing lost or doubled.</summary>
    [Fact]
    public async Task Many_writers_across_both_rings_and_a_close_lose_and_double_nothing()
    {
        for (var round = 0; round < 6; round++)
        {
            var ring = new TieredEventRing(64, firstTier: 16);
            await RaceAsync(new Queue(e => ring.TryWrite(e), ring.TryRead, ring.Close, () => ring.IsClosed, () => ring.Count, () => ring.Accepted), 10_000 + (round * 1_000));
        }
    }

    /// <summary>
    /// The sender reads before the first ring is half full, however large the lanes' batches grow (they grew its wait to a
    /// quarter of the queue, past the first ring), and never waits for more than a quarter of a small queue.
    /// </summary>
    [Theory]
    [InlineData(10, 2, 10_000, 20)] // a batch's worth per lane being filled
    [InlineData(1_000, 8, 10_000, 1_024)] // grown batches on eight lanes: half the first ring
    [InlineData(1_000, 8, 100_000, 1_024)]
    [InlineData(1_000, 8, 100, 25)] // a quarter of a small queue
    [InlineData(0, 3, 10_000, 1)]
    public void The_sender_reads_before_the_first_ring_is_half_full(int fewestMissing, int lanesFilling, int queueCapacity, int expected)
    {
        Assert.Equal(expected, Piwik.Sending.PiwikSender.WakeThreshold(fewestMissing, lanesFilling, queueCapacity));
        Assert.True(expected <= TieredEventRing.FirstTierCapacity / 2);
    }

    private static List<long> ReadAll(TieredEventRing ring)
    {
        var read = new List<long>();
        while (ring.TryRead(out var e))
        {
            read.Add(e.TimestampTicks);
        }

        return read;
    }
}
