using System.Buffers;
using System.Globalization;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.Spool;

/// <summary>The spool's reader: what an earlier process left (at start), and each lane's next batch.</summary>
internal sealed partial class BatchSpool
{
    private void Restore()
    {
        var sequences = new SortedSet<long>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*" + SegmentExtension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                sequences.Add(sequence);
            }
        }

        foreach (var path in Directory.EnumerateFiles(_directory, "*" + AckExtension))
        {
            // Acknowledgements of a segment already deleted (a crash between the two deletions).
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && !sequences.Contains(sequence))
            {
                File.Delete(path);
            }
        }

        long restored = 0;
        foreach (var sequence in sequences)
        {
            _nextSequence = sequence + 1;
            try
            {
                restored += RestoreSegment(sequence);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // One unreadable file does not cost the others (nor the start): it is named and left where it is.
                LogSegmentUnreadable(_logger, SegmentPath(sequence), ex);
            }
        }

        Restored = restored;
        if (_restoredOutstanding == 0)
        {
            _restoredDone.TrySetResult();
        }

        _metrics.AddRestored(restored);
        _metrics.AddSpooled(restored);
        if (restored > 0)
        {
            LogRestored(_logger, restored, _segments.Count);
        }
    }

    /// <summary>Reads one segment and its acknowledgements, queues its unfinished batches; returns their events.</summary>
    private long RestoreSegment(long sequence)
    {
        long restored = 0;
        var segment = new SpoolSegment(sequence, SegmentPath(sequence), AckPath(sequence));
        var data = File.ReadAllBytes(segment.Path);
        segment.Bytes = data.Length;
        var acks = ReadAcks(segment.AckPath);
        var position = 0;
        var skipped = 0;
        while (position < data.Length)
        {
            var rest = data.AsSpan(position);
            if (SpoolFormat.TryReadHeader(rest, rest.Length - SpoolFormat.HeaderSize, out var length, out var checksum)
                && SpoolFormat.TryReadSummary(rest.Slice(SpoolFormat.HeaderSize, length), checksum, out var lane, out var count, out var oldest))
            {
                var record = new SpoolRecord(segment, position, SpoolFormat.HeaderSize + length, count, lane % _lanes.Length, oldest) { Restored = true };
                if (acks.TryGetValue((uint)position, out var done))
                {
                    record.Done = Math.Min(done, count);
                }

                segment.Records.Add(record);
                if (record.Done < count)
                {
                    segment.Live++;
                    restored += count - record.Done;
                    _restoredOutstanding++;
                    _lanes[record.Lane].Enqueue(record);
                    _laneSignals[record.Lane].Release();
                }
                else
                {
                    record.State = RecordState.Finished;
                }

                position += record.Length;
                continue;
            }

            // A torn tail (the process died mid-write) or a damaged record: find the next record boundary.
            var next = data.AsSpan(position + 1).IndexOf("PWKB"u8);
            var resume = next < 0 ? data.Length : position + 1 + next;
            skipped += resume - position;
            position = resume;
        }

        if (skipped > 0)
        {
            LogDamagedRecord(_logger, segment.Path, skipped);
        }

        if (segment.Live == 0)
        {
            DeleteSegment(segment);
        }
        else
        {
            _segments.Add(segment);
            _fileBytes += segment.Bytes;
        }

        return restored;
    }

    private static Dictionary<uint, int> ReadAcks(string path)
    {
        var acks = new Dictionary<uint, int>();
        if (!File.Exists(path))
        {
            return acks;
        }

        var data = File.ReadAllBytes(path);
        for (var position = 0; position + SpoolFormat.AckSize <= data.Length; position += SpoolFormat.AckSize)
        {
            if (SpoolFormat.TryDecodeAck(data.AsSpan(position, SpoolFormat.AckSize), out var offset, out var done))
            {
                acks[offset] = Math.Max(done, acks.GetValueOrDefault(offset));
            }
        }

        return acks;
    }

    /// <summary>
    /// The next batch of a lane, loaded into <paramref name="batch"/>, or <c>null</c> when the spool is completed and the
    /// lane has nothing left. Expired batches are dropped on the way. The record is then in flight until
    /// <see cref="Commit"/> finishes it or <see cref="Release"/> gives it back.
    /// </summary>
    public async Task<SpoolRecord?> TakeAsync(int lane, Batch batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            SpoolRecord? record = null;
            var waitForRestored = false;
            lock (_gate)
            {
                if (_released[lane] is { } back)
                {
                    // Given back (Release): the head of the lane, before anything queued behind it.
                    _released[lane] = null;
                    record = back;
                    record.State = RecordState.InFlight;
                }
                else if (_lanes[lane].TryPeek(out var head))
                {
                    if (head.State == RecordState.Finished)
                    {
                        _lanes[lane].Dequeue();
                        continue;
                    }

                    if (head.State == RecordState.Writing)
                    {
                        // Not durable yet: its appender signals the lane when it is (or when it failed).
                    }
                    else if (!head.Restored && _restoredOutstanding > 0)
                    {
                        // Batches of an earlier process go first, on every lane, before any new one.
                        waitForRestored = true;
                    }
                    else
                    {
                        _lanes[lane].Dequeue();
                        record = head;
                        record.State = RecordState.InFlight;
                    }
                }
                else if (_completed)
                {
                    return null;
                }
            }

            if (record is null)
            {
                if (waitForRestored)
                {
                    await _restoredDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _laneSignals[lane].WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (record.OldestEventTicks < _time.GetUtcNow().UtcTicks - _maxAgeTicks)
            {
                lock (_gate)
                {
                    Drop(record, DropReason.SpoolExpired);
                }

                DeleteRetired();
                LogExpired(_logger, record.Count);
                continue;
            }

            batch.Reset();
            if (!Load(record, batch))
            {
                lock (_gate)
                {
                    Drop(record, DropReason.SpoolFailed);
                }

                DeleteRetired();
                continue;
            }

            batch.Record = record;
            return record;
        }
    }

    /// <summary>Records loaded by reading the disk (not from memory) so far.</summary>
    internal long ReadBack => Interlocked.Read(ref _readBack);

    private bool Load(SpoolRecord record, Batch batch)
    {
        if (record.InMemory is { } kept)
        {
            batch.AddAll(kept); // the spool keeps its copy until the batch is delivered
            return true;
        }

        if (record.ReadCache is { } cache)
        {
            // The batch it was written from, which the lane gets back (TakeReadCache): the entries change hands, not bytes.
            batch.SwapWith(cache);
            return true;
        }

        var segment = record.Segment!;
        Interlocked.Increment(ref _readBack);
        // Pooled: the entries are copied into the batch, the buffer is not kept.
        var rented = ArrayPool<byte>.Shared.Rent(record.Length);
        var buffer = rented.AsSpan(0, record.Length);
        try
        {
            using (var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                if (RandomAccess.Read(handle, buffer, record.Offset) != buffer.Length)
                {
                    return false;
                }
            }

            if (!SpoolFormat.TryReadHeader(buffer, buffer.Length - SpoolFormat.HeaderSize, out var length, out var checksum)
                || !SpoolFormat.TryReadSummary(buffer.Slice(SpoolFormat.HeaderSize, length), checksum, out _, out _, out _))
            {
                LogDamagedRecord(_logger, segment.Path, record.Length);
                return false;
            }

            SpoolFormat.DecodeBatch(buffer.Slice(SpoolFormat.HeaderSize, length), batch);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _faults); // the batch is dropped (spool_failed) and logged: it is nowhere else
            LogSpoolReadFailed(_logger, ex);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
