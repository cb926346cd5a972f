using System.Net;
using System.Net.Sockets;

namespace Piwik.Encoding;

/// <summary>
/// Masks a visitor IP with Matomo's own masks (plugins/PrivacyManager, core/Network/IPv6.php): for IPv4 (and IPv4
/// mapped into IPv6) the last N bytes are zeroed; for IPv6, N = 1 keeps /64, 2 keeps /48, 3 keeps /24, 4 keeps nothing.
/// </summary>
internal static class IpAnonymizer
{
    public static IPAddress Anonymize(IPAddress address, int maskBytes)
    {
        if (maskBytes <= 0)
        {
            return address;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return address;
        }

        bytes = bytes[..length];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            for (var i = Math.Max(0, 4 - maskBytes); i < 4; i++)
            {
                bytes[i] = 0;
            }

            return new IPAddress(bytes);
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

        return new IPAddress(bytes); // scope id dropped on purpose
    }
}
