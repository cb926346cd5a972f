using System.Net;
using System.Net.Sockets;

namespace Piwik.Encoding;

/// <summary>
/// Masks a visitor IP with Matomo's own masks (plugins/PrivacyManager, core/Network/IPv6.php): for IPv4 (and IPv4
/// mapped into IPv6) the last N bytes are zeroed; for IPv6, N = 1 keeps /64, 2 keeps /48, 3 keeps /24, 4 keeps nothing.
/// </summary>
internal static class IpAnonymizer
{
    /// <summary>
    /// The anonymised address as a cache key, without allocating: its masked bytes (IPv4-mapped addresses as IPv4),
    /// their count, and the scope id when nothing is masked (the one case where <see cref="Anonymize"/> keeps it).
    /// Two addresses have the same key exactly when their anonymised forms are equal.
    /// </summary>
    public static (UInt128 Bytes, int Length, long ScopeId) Key(IPAddress address, int maskBytes)
    {
        if (maskBytes <= 0)
        {
            Span<byte> raw = stackalloc byte[16];
            raw.Clear();
            address.TryWriteBytes(raw, out var rawLength);
            return (System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(raw), rawLength, address.AddressFamily == AddressFamily.InterNetworkV6 ? address.ScopeId : 0);
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        var length = Mask(address, maskBytes, bytes);
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes), length, 0);
    }

    public static IPAddress Anonymize(IPAddress address, int maskBytes)
    {
        if (maskBytes <= 0)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        var length = Mask(address, maskBytes, bytes);
        return length == 0 ? address : new IPAddress(bytes[..length]); // scope id dropped on purpose
    }

    /// <summary>Writes the masked bytes of <paramref name="address"/> into 16 bytes; returns their count (4 or 16), or 0 when it cannot.</summary>
    private static int Mask(IPAddress address, int maskBytes, Span<byte> bytes)
    {
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return 0;
        }

        var ipv4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (!ipv4 && address.IsIPv4MappedToIPv6)
        {
            // As MapToIPv4 would, without allocating: a dual-mode socket reports every IPv4 client this way.
            bytes.Slice(12, 4).CopyTo(bytes);
            bytes[4..].Clear();
            length = 4;
            ipv4 = true;
        }

        if (ipv4)
        {
            for (var i = Math.Max(0, 4 - maskBytes); i < 4; i++)
            {
                bytes[i] = 0;
            }

            return length;
        }

        var keepBits = maskBytes switch
        {
            1 => 64,
            2 => 48,
            3 => 24,
            _ => 0,
        };
        for (var bit = keepBits; bit < 128; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return length;
    }
}
