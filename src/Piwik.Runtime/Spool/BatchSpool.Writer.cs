using System.Buffers;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.Spool;

/// <summary>The spool's writer: appends batches to the current segment, durably (group commit), within the bounds.</summary>
internal sealed partial class BatchSpool
{
    /// <summary>
    /// Appends a batch, durably, and queues it on its lane. Returns false when it was dropped for room (counted as
    /// <see cref="DropReason.SpoolFull"/>); when the disk fails, the batch is kept in memory instead (see
    /// <c>BatchSpool.Faults.cs</c>). The caller may reuse the batch either way. Safe to call from several threads at once.
    /// <para>
    /// The record is written under the lock, made durable outside it (group commit: one fsync covers every record
    /// written before it began, so a writer whose bytes an earlier fsync covered skips its own), and becomes takeable
    /// by its lane only once durable, in the order records were written. Returns once it is durable.
    /// </para>
    /// </summary>
    public bool Append(Batch batch, int lane) => AppendAll([batch], lane) == 1;

    /// <summary>
    /// Appends several batches of one lane, in order, as <see cref="Append"/> does, with one fsync for all of them (per
    /// segment file they went to). Returns how many were kept (on disk, or in memory while the disk fails); the others
    /// were dropped for room and counted. While batches this lane keeps in memory are not delivered yet, waits for
    /// them first (bounded memory), until <paramref name="cancellationToken"/>.
    /// </summary>
    /// <param name="batches">The batches, in order.</param>
    /// <param name="lane">Their lane.</param>
    /// <param name="keepReadCaches">
    /// Whether the spool may keep a batch as its record's read cache (<see cref="SpoolRecord.ReadCache"/>): it then
    /// clears the batch's slot in <paramref name="batches"/>, and the caller must not touch that batch again; the lane
    /// gets it back once it has taken the record.
    /// </param>
    /// <param name="cancellationToken">Ends a wait for memory.</param>
    /// <param name="syncInterval">
    /// The least time between two fsyncs of records (none by default). The lanes' appenders commit on timers of their
    /// own, so a lane's records rarely precede another lane's fsync and each lane paid its own (20-26 a second under
    /// load, hundreds of microseconds of CPU each on a virtual disk): with an interval, an fsync that comes sooner waits,
    /// and the lanes that write meanwhile wait for it and find their records covered.
    /// </param>
    /// <remarks>
    /// When it throws (cancelled while waiting for memory, or a bug), the batches it had not taken on are counted as
    /// dropped (<see cref="DropReason.SpoolFailed"/>) before the exception leaves; the ones before them are on disk, in
    /// memory or counted, as on a normal return. So the caller counts nothing.
    /// </remarks>
    public int AppendAll(Span<Batch?> batches, int lane, bool keepReadCaches = false, TimeSpan syncInterval = default, CancellationToken cancellationToken = default)
    {
        try
        {
            WaitForMemory(lane, cancellationToken);
        }
        catch (Exception)
        {
            CountFailed(batches);
            throw;
        }

        var written = new List<(SpoolRecord Record, Batch Batch, int Slot)>(batches.Length);
        var kept = 0;
        var takeable = 0;
        var slot = 0;
        Exception? unexpected = null;
        try
        {
            for (; slot < batches.Length; slot++)
            {
                var batch = batches[slot];
                if (batch is null || batch.Count == 0)
                {
                    kept++;
                }
                else if (Write(batch, lane) is { } record)
                {
                    if (record.InMemory is null)
                    {
                        written.Add((record, batch, slot));
                    }
                    else
                    {
                        kept++;
                        takeable++;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // The records already written are still made durable (or kept in memory) below, never left half-done; the
            // batch that failed and the ones after it are not kept.
            unexpected = ex;
            CountFailed(batches[slot..]);
        }
        finally
        {
            DeleteRetired(); // segments emptied for room or left by a roll
        }

        if (written.Count > 0)
        {
            kept += Settle(written, keepReadCaches ? batches : default, syncInterval);
            takeable += written.Count;
        }

        if (takeable > 0)
        {
            _laneSignals[lane].Release(takeable);
        }
        unexpected?.Rethrow();
        return kept;
    }

    private void CountFailed(ReadOnlySpan<Batch?> batches)
    {
        long lost = 0;
        foreach (var batch in batches)
        {
            lost += batch?.Count ?? 0;
        }

        _metrics.AddDropped(DropReason.SpoolFailed, lost);
    }

    /// <summary>
    /// Makes the records just written durable, one fsync per segment (for its last record: it covers the ones before),
    /// and makes them takeable; a record whose fsync failed is kept in memory instead. Returns how many are kept (on
    /// disk or, after a failed fsync, in memory), not those another lane's append dropped for room meanwhile.
    /// </summary>
    /// <param name="written">The records written, with their batches and the batches' slots.</param>
    /// <param name="cacheSlots">
    /// The caller's batches when the spool may keep some as read caches (empty otherwise): a batch kept is taken out of
    /// its slot here, before its record can be taken (after that its lane may take the record and reuse the batch).
    /// </param>
    /// <param name="syncInterval">The least time between two fsyncs of records (see <see cref="AppendAll"/>).</param>
    private int Settle(List<(SpoolRecord Record, Batch Batch, int Slot)> written, Span<Batch?> cacheSlots, TimeSpan syncInterval)
    {
        var errors = new Dictionary<SpoolSegment, Exception?>(1);
        for (var i = written.Count - 1; i >= 0; i--)
        {
            var record = written[i].Record;
            if (!errors.ContainsKey(record.Segment!))
            {
                errors[record.Segment!] = MakeDurable(record.Segment!, record.Offset + record.Length, syncInterval);
            }
        }

        foreach (var (segment, error) in errors)
        {
            if (error is not null)
            {
                NoteFault("flush a batch to disk", error);
            }
        }

        var kept = 0;
        lock (_gate)
        {
            // The lane's records ahead of this group (all written ones are of one lane): the first few of a lane that
            // keeps up keep their batch as a read cache, so it is not read back from disk (bounded: a lane with a
            // backlog reads from disk, and at most ReadCacheDepth batches per lane are held).
            var ahead = _lanes[written[0].Record.Lane].Count - written.Count;
            var position = 0;
            foreach (var (record, batch, slot) in written)
            {
                var segment = record.Segment!;
                if (--segment.WriterUsers == 0 && segment != _current)
                {
                    segment.CloseWriter();
                }

                position++;
                if (record.State != RecordState.Writing)
                {
                    continue; // dropped for room meanwhile (by another lane's append)
                }

                kept++;
                if (errors[segment] is null)
                {
                    if (!cacheSlots.IsEmpty && ahead + position <= ReadCacheDepth)
                    {
                        cacheSlots[slot] = null; // the spool's now, until its lane takes it back (Lane.RunFromSpoolAsync)
                        record.ReadCache = batch;
                    }
                }
                else
                {
                    // Not known to be on disk: delivered from memory, in its place.
                    if (segment == _current)
                    {
                        DropWriter(); // a file whose fsync failed is not written again
                    }

                    MoveToMemory(record, batch);
                }

                record.State = RecordState.Pending;
            }
        }

        DeleteRetired();
        return kept;
    }

    /// <summary>
    /// Writes one batch's record to the OS, under the lock, and queues it (not takeable yet) on its lane; kept in memory
    /// when the write fails; null when it was dropped for room.
    /// </summary>
    private SpoolRecord? Write(Batch batch, int lane)
    {
        // A pooled buffer: a new array per batch (about 50 KB per 100 events) was garbage at every append.
        var rented = ArrayPool<byte>.Shared.Rent(SpoolFormat.RecordLength(batch));
        try
        {
            ReadOnlySpan<byte> bytes = rented.AsSpan(0, SpoolFormat.EncodeBatch(batch, lane, rented));
            lock (_gate)
            {
                MakeRoom(bytes.Length);
                if (_fileBytes + bytes.Length > _maxBytes)
                {
                    _metrics.AddDropped(DropReason.SpoolFull, batch.Count);
                    LogSpoolFull(_logger, batch.Count, _maxBytes);
                    return null;
                }

                try
                {
                    if (_current?.Writer is null || _current.Bytes + bytes.Length > _segmentLimit)
                    {
                        Roll();
                    }

                    var segment = _current!;
                    var offset = segment.Bytes;
                    RandomAccess.Write(segment.Writer!, bytes, offset); // to the OS: a killed process loses nothing from here on
                    Volatile.Write(ref segment.WrittenBytes, offset + bytes.Length);
                    segment.Bytes += bytes.Length;
                    _fileBytes += bytes.Length;
                    var record = new SpoolRecord(segment, offset, bytes.Length, batch.Count, lane, batch.OldestEventTicks) { State = RecordState.Writing };
                    segment.Records.Add(record);
                    segment.Live++;
                    segment.WriterUsers++; // the writer stays open until this record's fsync is over
                    _metrics.AddSpooled(batch.Count);
                    _lanes[lane].Enqueue(record); // in write order; not takeable before it is durable
                    return record;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    DropWriter(); // the next batch tries a new segment file
                    NoteFault("write a batch", ex);
                    return KeepInMemory(batch, lane);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Makes a segment durable up to <paramref name="end"/>: fsync, outside <see cref="_gate"/>, unless another
    /// writer's fsync already covered it. fsyncs of one segment take turns, so a writer that waited for one usually
    /// finds its bytes covered. An fsync sooner than <paramref name="syncInterval"/> after the spool's last one (of any
    /// segment: a segment rolls every few seconds under load) waits out the rest, holding the segment's turn, so the
    /// writers that come meanwhile are covered by it. Returns the failure, or null.
    /// </summary>
    private Exception? MakeDurable(SpoolSegment segment, long end, TimeSpan syncInterval)
    {
        lock (segment.SyncGate)
        {
            if (segment.SyncError is { } failed)
            {
                return failed; // an fsync that failed may have lost these bytes; a retry could wrongly succeed
            }

            if (segment.DurableBytes >= end)
            {
                Interlocked.Increment(ref _coveredAppends);
                return null;
            }

            if (!segment.NameDurable)
            {
                // The new file's name made durable before the first record's fsync is relied on: otherwise a crash
                // could lose the whole segment, fsynced records and all. Once per segment, not per batch.
                if (DirectorySync.Flush(_directory) is var error and not 0)
                {
                    LogDirectorySyncFailed(_logger, _directory, error);
                }

                segment.NameDurable = true;
            }

            var last = Interlocked.Read(ref _lastRecordSync);
            if (last != 0 && syncInterval - _time.GetElapsedTime(last) is { Ticks: > 0 } rest)
            {
                Thread.Sleep(rest < syncInterval ? rest : syncInterval); // an appender's own thread; a clock set back waits no longer
            }

            var target = Volatile.Read(ref segment.WrittenBytes); // every write up to here has completed
            try
            {
                FlushRecords(segment.Writer!);
                Interlocked.Increment(ref _recordSyncs);
                segment.DurableBytes = target;
                Interlocked.Exchange(ref _lastRecordSync, _time.GetTimestamp());
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                segment.SyncError = ex;
                return ex;
            }
        }
    }

    /// <summary>
    /// Drops the oldest batches that are not in flight until <paramref name="needed"/> more bytes fit on disk. Under
    /// <see cref="_gate"/>. The files of segments emptied for room are deleted here, under the lock (only a full spool
    /// pays for it), and a deletion under way on another thread is waited for: new bytes are written only once the old
    /// ones are gone, so the files never exceed <see cref="PiwikOptions.SpoolMaxBytes"/>, not even for an instant.
    /// </summary>
    private void MakeRoom(long needed)
    {
        long dropped = 0;
        while (_fileBytes + needed > _maxBytes)
        {
            if (_retired.Count > 0)
            {
                var retired = _retired.ToArray();
                _retired.Clear();
                foreach (var segment in retired)
                {
                    DeleteSegment(segment);
                    _fileBytes -= segment.Bytes;
                }

                continue;
            }

            if (_deletingBytes > 0)
            {
                Monitor.Wait(_gate); // DeleteRetired on another thread pulses once its files are gone
                continue;
            }

            if (!DropOldestSegment(ref dropped))
            {
                break; // everything left is in flight or being written: the caller drops the new batch instead
            }
        }

        if (dropped > 0)
        {
            LogSpoolFull(_logger, dropped, _maxBytes);
        }
    }

    /// <summary>Drops the pending batches of the oldest segment that has any; false when none has.</summary>
    private bool DropOldestSegment(ref long dropped)
    {
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i]; // by index: dropping its last batch takes it out of the list
            var pending = segment.Records.Where(r => r.State == RecordState.Pending).ToList();
            if (pending.Count == 0)
            {
                continue;
            }

            if (segment == _current)
            {
                // Start a fresh segment so the current one can be dropped whole as well.
                DropWriter();
            }

            foreach (var record in pending)
            {
                dropped += record.Count - record.Done;
                Drop(record, DropReason.SpoolFull); // the segment is retired once its last batch is
            }

            return true;
        }

        return false;
    }

    private void Roll()
    {
        DropWriter();
        var sequence = _nextSequence++;
        var segment = new SpoolSegment(sequence, SegmentPath(sequence), AckPath(sequence));
        segment.Writer = OwnerOnly.OpenForWrite(segment.Path, FileMode.CreateNew, FileShare.Read | FileShare.Delete);
        _current = segment;
        _segments.Add(segment);

        // The directory is flushed (its new name made durable) by the first fsync of a record, outside the lock.
    }

    /// <summary>Stops writing to the current segment. Its file is closed once no append still has to fsync it.</summary>
    private void DropWriter()
    {
        var current = _current;
        if (current is not null && current.WriterUsers == 0)
        {
            current.CloseWriter();
        }

        _current = null;
        if (current is not null && current.Live == 0)
        {
            Retire(current);
        }
    }
}
