using System.Buffers.Binary;
using System.IO.Hashing;
using Piwik.Sending;

namespace Piwik.Spool;

/// <summary>
/// The on-disk layout of the spool; every number little-endian.
/// <para>
/// A segment file (<c>NNNNNNNNNNNN.spool</c>) is a sequence of records, each a 12-byte header followed by its payload:
/// <c>magic "PWKB" (u32) | payload length (u32) | CRC-32 of the payload (u32)</c>. The payload of a batch is
/// <c>version 1 (u8) | lane (u16) | reserved (u8) | entry count (u32)</c>, then per entry
/// <c>event time in UTC ticks (i64) | flags (u8, bit 0: carries cip) | length (u32) | the encoded entry</c>.
/// </para>
/// <para>
/// Beside it, <c>NNNNNNNNNNNN.acks</c> holds acknowledgements, 12 bytes each: <c>record offset (u32) | entries done
/// (u32) | CRC-32 of those 8 bytes (u32)</c>. "Done" is a prefix of the batch whose fate is final (delivered, rejected
/// or dropped and counted); a record is finished when it equals the entry count. A torn or corrupt record or
/// acknowledgement fails its checksum and is skipped; the records around it are read as usual.
/// </para>
/// </summary>
internal static class SpoolFormat
{
    public const uint Magic = 0x424B5750; // "PWKB" read as little-endian bytes
    public const int HeaderSize = 12;
    public const int AckSize = 12;
    public const byte Version = 1;
    private const int BatchHeaderSize = 8;
    private const int EntryHeaderSize = 13;

    /// <summary>Bytes of the whole record (header and payload) of <paramref name="batch"/>.</summary>
    public static int RecordLength(Batch batch) => HeaderSize + BatchHeaderSize + (batch.Count * EntryHeaderSize) + batch.ByteCount;

    /// <summary>
    /// Writes the whole record (header and payload) of the entries of <paramref name="batch"/> at the start of
    /// <paramref name="destination"/>, which holds at least <see cref="RecordLength"/> bytes; returns that length.
    /// </summary>
    public static int EncodeBatch(Batch batch, int lane, Span<byte> destination)
    {
        var recordLength = RecordLength(batch);
        var payloadLength = recordLength - HeaderSize;
        var record = destination[..recordLength];
        var payload = record[HeaderSize..];
        payload[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(payload[1..], (ushort)lane);
        payload[3] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(payload[4..], batch.Count);
        var position = BatchHeaderSize;
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch.Entry(i);
            BinaryPrimitives.WriteInt64LittleEndian(payload[position..], batch.EventTicks(i));
            payload[position + 8] = batch.HasIp(i) ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteInt32LittleEndian(payload[(position + 9)..], entry.Length);
            position += EntryHeaderSize;
            entry.CopyTo(payload[position..]);
            position += entry.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], Crc32.HashToUInt32(payload));
        return recordLength;
    }

    /// <summary>Reads a record header; false when it is not one (torn, or not at a record boundary).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, int maxPayload, out int payloadLength, out uint checksum)
    {
        payloadLength = 0;
        checksum = 0;
        if (header.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            return false;
        }

        payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        checksum = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        return payloadLength >= BatchHeaderSize && payloadLength <= maxPayload;
    }

    /// <summary>
    /// Checks a payload against its checksum and reads its summary; false unless every length in it is within the
    /// payload (a checksum proves no more than that the bytes are as written, not that they were written by us).
    /// </summary>
    public static bool TryReadSummary(ReadOnlySpan<byte> payload, uint checksum, out int lane, out int count, out long oldestTicks)
    {
        lane = 0;
        count = 0;
        oldestTicks = long.MaxValue;
        if (Crc32.HashToUInt32(payload) != checksum || payload[0] != Version)
        {
            return false;
        }

        lane = BinaryPrimitives.ReadUInt16LittleEndian(payload[1..]);
        count = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
        var position = BatchHeaderSize;
        for (var i = 0; i < count; i++)
        {
            if (position + EntryHeaderSize > payload.Length)
            {
                return false;
            }

            var ticks = BinaryPrimitives.ReadInt64LittleEndian(payload[position..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(payload[(position + 9)..]);
            position += EntryHeaderSize;

            // Checked against what is left, never added first: a length near int.MaxValue would wrap the sum.
            if (length < 0 || length > payload.Length - position)
            {
                return false;
            }

            position += length;
            oldestTicks = Math.Min(oldestTicks, ticks);
        }

        return count > 0 && position == payload.Length;
    }

    /// <summary>Fills <paramref name="batch"/> with the entries of a payload already checked by <see cref="TryReadSummary"/>.</summary>
    public static void DecodeBatch(ReadOnlySpan<byte> payload, Batch batch)
    {
        var count = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
        var position = BatchHeaderSize;
        for (var i = 0; i < count; i++)
        {
            var ticks = BinaryPrimitives.ReadInt64LittleEndian(payload[position..]);
            var hasIp = (payload[position + 8] & 1) != 0;
            var length = BinaryPrimitives.ReadInt32LittleEndian(payload[(position + 9)..]);
            position += EntryHeaderSize;
            batch.Add(payload.Slice(position, length), ticks, hasIp);
            position += length;
        }
    }

    public static void EncodeAck(Span<byte> destination, uint offset, int done)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], done);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Crc32.HashToUInt32(destination[..8]));
    }

    public static bool TryDecodeAck(ReadOnlySpan<byte> source, out uint offset, out int done)
    {
        offset = BinaryPrimitives.ReadUInt32LittleEndian(source);
        done = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        return Crc32.HashToUInt32(source[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(source[8..]) && done >= 0;
    }
}
