using System.Globalization;
using System.Net;

namespace Piwik.Encoding;

/// <summary>
/// Reads a Host header (<c>host[:port]</c>) as a URL authority Matomo can keep: a DNS name in ASCII (IDN as punycode,
/// lower case, labels of letters, digits, <c>-</c> and <c>_</c>), an IPv4 address or a bracketed IPv6 address, and an
/// optional port 1-65535. Anything else is not a host name, and is never put in a tracked URL.
/// </summary>
internal static class HostName
{
    private const int MaxDnsName = 253;
    private const int MaxLabel = 63;
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>Returns the authority in the form a browser puts in a URL, or <c>null</c> when it is not a valid host.</summary>
    public static string? Normalize(string? header)
    {
        if (string.IsNullOrEmpty(header) || header.Length > MaxDnsName + 8)
        {
            return null;
        }

        var value = header.AsSpan();
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port = default;
        if (value[0] == '[')
        {
            var close = value.IndexOf(']');
            if (close < 0 || !IPAddress.TryParse(value[1..close], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return null;
            }

            host = value[..(close + 1)];
            var rest = value[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':')
                {
                    return null;
                }

                port = rest[1..];
                if (port.IsEmpty)
                {
                    return null;
                }
            }

            return IsPort(port) ? string.Concat(host.ToString().ToLowerInvariant(), port.IsEmpty ? "" : ":", port) : null;
        }

        var colon = value.IndexOf(':');
        if (colon >= 0)
        {
            host = value[..colon];
            port = value[(colon + 1)..];
            if (port.IsEmpty || !IsPort(port))
            {
                return null;
            }
        }
        else
        {
            host = value;
        }

        if (!host.IsEmpty && host[^1] == '.')
        {
            host = host[..^1]; // the root label: the same host
        }

        if (host.IsEmpty)
        {
            return null;
        }

        string ascii;
        if (System.Text.Ascii.IsValid(host))
        {
            ascii = host.ToString().ToLowerInvariant();
        }
        else
        {
            try
            {
                ascii = Idn.GetAscii(host.ToString()).ToLowerInvariant();
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        if (!IsDnsName(ascii))
        {
            return null;
        }

        return port.IsEmpty ? ascii : string.Concat(ascii, ":", port);
    }

    /// <summary>
    /// <see cref="Origin"/> of a URL from a request (a referrer): null when its host has no punycode form (the host
    /// parses, but IDN mapping refuses it: <see cref="Uri.IdnHost"/> throws) or is empty.
    /// </summary>
    public static string? TryOrigin(Uri url)
    {
        try
        {
            return url.IdnHost.Length == 0 ? null : Origin(url);
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The scheme and authority of an absolute http(s) URL (<see cref="PiwikOptions.ApplicationUrl"/>, a referrer), host as
    /// punycode, without the root label's trailing dot (<c>example.com.</c> is <c>example.com</c>, as for a Host header).
    /// </summary>
    public static string Origin(Uri url)
    {
        var host = url.IdnHost;
        if (url.HostNameType == UriHostNameType.IPv6 && !host.StartsWith('['))
        {
            host = "[" + host + "]";
        }
        else if (host.Length > 1 && host[^1] == '.')
        {
            host = host[..^1];
        }

        return url.IsDefaultPort
            ? $"{url.Scheme}://{host.ToLowerInvariant()}"
            : $"{url.Scheme}://{host.ToLowerInvariant()}:{url.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private static bool IsPort(ReadOnlySpan<char> port) =>
        port.IsEmpty || (port.Length <= 5 && !port.ContainsAnyExceptInRange('0', '9') && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535);

    private static bool IsDnsName(string name)
    {
        if (name.Length > MaxDnsName)
        {
            return false;
        }

        var label = 0;
        foreach (var c in name)
        {
            if (c == '.')
            {
                if (label == 0)
                {
                    return false;
                }

                label = 0;
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_') || ++label > MaxLabel)
            {
                return false;
            }
        }

        return label > 0;
    }
}
