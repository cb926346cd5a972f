using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Piwik.Capture;

/// <summary>
/// A bounded, lock-free, many-writer one-reader ring of <see cref="TrackedEvent"/>s: the queue between the request path
/// and the sender. A write is one compare-and-swap of the tail and a copy of the event into a preallocated slot; a
/// read is a copy out and two stores. Neither allocates, waits, or takes a lock.
/// </summary>
/// <remarks>
/// <para>
/// The algorithm is Dmitry Vyukov's bounded MPMC queue with one reader: each slot carries a sequence number that says
/// whether it is free for the writer of position <c>p</c> (<c>p</c>) or holds the event of position <c>p</c>
/// (<c>p + 1</c>). A writer claims a position by moving the tail with one CAS, writes the event, then publishes it by
/// storing the sequence. The reader takes the head slot once it is published, clears it (so the request's strings can
/// be collected), and frees it for the next lap (<c>p + size</c>).
/// </para>
/// <para>
/// The slot array is a power of two (so a position maps to its slot with a mask), at least <see cref="Capacity"/>
/// long; a write is refused when <see cref="Capacity"/> events are waiting, so the bound is exactly the configured
/// one. <see cref="Close"/> sets a bit in the tail with one atomic OR: every write that claimed a position before it
/// is read by the reader's final drain (which waits the few instructions a claimed slot needs to be published), every
/// write after it is refused. So no event is ever left in the ring uncounted.
/// </para>
/// </remarks>
internal sealed class EventRing
{
    private const long ClosedBit = 1L << 62;

    private readonly Slot[] _slots;
    private readonly long _mask;
    private Positions _positions;

    public EventRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 2));
        _slots = new Slot[size];
        for (var i = 0; i < size; i++)
        {
            _slots[i].Sequence = i;
        }

        _mask = size - 1;
    }

    /// <summary>The most events the ring holds.</summary>
    public int Capacity { get; }

    /// <summary>Events written and not yet read (a moment's view).</summary>
    public int Count
    {
        get
        {
            var head = Volatile.Read(ref _positions.Head);
            var count = (Volatile.Read(ref _positions.Tail) & ~ClosedBit) - head;
            return (int)Math.Clamp(count, 0, Capacity);
        }
    }

    /// <summary>The position the reader takes next (every event before it was read). The reader's own view.</summary>
    public long ReadPosition => _positions.Head;

    /// <summary>Every event ever accepted: the tail's position.</summary>
    public long Accepted => Volatile.Read(ref _positions.Tail) & ~ClosedBit;

    public bool IsClosed => (Volatile.Read(ref _positions.Tail) & ClosedBit) != 0;

    /// <summary>Whether the event at the head is written and can be read now.</summary>
    public bool HasReadable
    {
        get
        {
            var head = Volatile.Read(ref _positions.Head);
            return Volatile.Read(ref SlotAt(head).Sequence) == head + 1;
        }
    }

    /// <summary>Offers an event; never waits.</summary>
    public WriteResult TryWrite(in TrackedEvent item)
    {
        var position = Volatile.Read(ref _positions.Tail);
        while (true)
        {
            if ((position & ClosedBit) != 0)
            {
                return WriteResult.Closed;
            }

            if (position - Volatile.Read(ref _positions.Head) >= Capacity)
            {
                return WriteResult.Full;
            }

            ref var slot = ref SlotAt(position);
            var free = Volatile.Read(ref slot.Sequence) - position;
            if (free == 0)
            {
                var seen = Interlocked.CompareExchange(ref _positions.Tail, position + 1, position);
                if (seen == position)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, position + 1);
                    return WriteResult.Accepted;
                }

                position = seen; // another writer took it: try the next position
            }
            else if (free < 0)
            {
                return WriteResult.Full; // the slot's event from the previous lap is not read yet
            }
            else
            {
                position = Volatile.Read(ref _positions.Tail); // this position was taken meanwhile
            }
        }
    }

    /// <summary>
    /// Takes the oldest event. Only one thread may read. Returns false when the ring is empty, or when the oldest
    /// position is claimed but not yet written (it will be on a later call), except after <see cref="Close"/>, when it
    /// waits for that write so the final drain misses nothing.
    /// </summary>
    public bool TryRead(out TrackedEvent item)
    {
        var position = _positions.Head; // written only by this (the one) reader
        ref var slot = ref SlotAt(position);
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            var tail = Volatile.Read(ref _positions.Tail);
            if ((tail & ClosedBit) == 0 || position >= (tail & ~ClosedBit))
            {
                item = default;
                return false;
            }

            // Closed, and a writer claimed this position before the close: its copy is a few instructions away
            // (or one scheduler time slice, if it was preempted in between).
            var spin = default(SpinWait);
            while (Volatile.Read(ref slot.Sequence) != position + 1)
            {
                spin.SpinOnce();
            }
        }

        item = slot.Item;
        slot.Item = default; // release the request's strings to the GC now, not a lap later
        Volatile.Write(ref slot.Sequence, position + _mask + 1);
        Volatile.Write(ref _positions.Head, position + 1);
        return true;
    }

    /// <summary>
    /// Asks the CPU to fetch the strings of the event the reader takes next, when it is written (<see cref="EventPrefetch"/>).
    /// Only the reader calls it; it reads the slot and changes nothing. Returns whether there was such an event.
    /// </summary>
    public bool PrefetchNext()
    {
        var position = _positions.Head;
        ref var slot = ref SlotAt(position);
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            return false;
        }

        EventPrefetch.Strings(in slot.Item);
        return true;
    }

    /// <summary>Refuses every later write. Writes that claimed a position before this are still read.</summary>
    public void Close() => Interlocked.Or(ref _positions.Tail, ClosedBit);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Slot SlotAt(long position) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)(position & _mask));

    public enum WriteResult
    {
        Accepted,
        Full,
        Closed,
    }

    private struct Slot
    {
        public TrackedEvent Item;
        public long Sequence;
    }

    /// <summary>Head and tail on cache lines of their own: writers contend on the tail, the reader owns the head.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 384)]
    private struct Positions
    {
        [FieldOffset(128)]
        public long Tail;

        [FieldOffset(256)]
        public long Head;
    }
}
