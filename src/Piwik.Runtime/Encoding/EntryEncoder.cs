using System.Buffers;
using System.Globalization;
using System.Net;
using Piwik.Capture;

namespace Piwik.Encoding;

/// <summary>
/// Encodes one <see cref="TrackedEvent"/> as a Matomo bulk entry: a query string starting with <c>?</c>, every value
/// cleaned, cut to Matomo's limits on a character boundary and percent-encoded, numbers in invariant culture. Runs on
/// the background sender only.
/// </summary>
internal sealed class EntryEncoder
{
    private readonly byte[] _siteAndFlags;
    private readonly bool _sendIp;
    private readonly int _maskBytes;
    private readonly bool _hashUserId;
    private readonly HashSet<string>? _redacted;
    private readonly string? _applicationUrl;
    private readonly (int Id, byte[] Key, string Value)[] _dimensions;
    private readonly VisitorIdGenerator _visitorIds;
    private readonly Dictionary<(UInt128 Bytes, int Length, long ScopeId), byte[]> _encodedIps = new();
    private const int EncodedIpCacheLimit = 8192;

    public EntryEncoder(PiwikOptions options)
    {
        _siteAndFlags = System.Text.Encoding.ASCII.GetBytes($"?idsite={options.SiteId.ToString(CultureInfo.InvariantCulture)}&rec=1&apiv=1");
        _sendIp = options.SendVisitorIp && options.TokenAuth is not null;
        _maskBytes = options.IpAnonymizationBytes;
        _hashUserId = options.HashUserId;
        _redacted = options.QueryString == QueryStringMode.Redact
            ? new HashSet<string>(options.RedactedQueryParameters, StringComparer.OrdinalIgnoreCase)
            : null;
        _applicationUrl = options.ApplicationUrl;
        _dimensions = options.CustomDimensions
            .OrderBy(d => d.Key)
            .Select(d => (d.Key, System.Text.Encoding.ASCII.GetBytes($"&dimension{d.Key.ToString(CultureInfo.InvariantCulture)}="), d.Value))
            .ToArray();
        _visitorIds = new VisitorIdGenerator(options.VisitorIdSecret);
    }

    /// <summary>Computes the visitor id of an event (16 hex characters), which also picks its partition.</summary>
    public string VisitorId(in TrackedEvent e)
    {
        if (e.UserId is { Length: > 0 } user)
        {
            return _visitorIds.ForUser(user);
        }

        return _visitorIds.ForAnonymous(e.Request.RemoteIp, _maskBytes, e.Request.UserAgent, e.TimestampTicks);
    }

    /// <param name="e">The event.</param>
    /// <param name="visitorId">Its visitor id, from <see cref="VisitorId"/>.</param>
    /// <param name="includeIp">Whether to send <c>cip</c> (only with an accepted token).</param>
    /// <param name="output">Where the entry's ASCII bytes go.</param>
    public void Encode(in TrackedEvent e, string visitorId, bool includeIp, IBufferWriter<byte> output)
    {
        output.Write(_siteAndFlags);
        var request = e.Request;

        if (request.Host is { Length: > 0 } host)
        {
            Raw(output, "&url="u8);
            var url = new PercentEncoder(output, MatomoLimits.Url);
            url.Append(request.IsHttps ? "https://" : "http://");
            url.Append(Microsoft.AspNetCore.Http.HostString.FromUriComponent(host).Value); // as HttpRequest.Host reads it (IDN decoded)
            url.Append(request.PathBase);
            url.Append(string.IsNullOrEmpty(request.Path) ? "/" : request.Path);
            if (request.Query is { Length: > 1 } query && _redacted is not null)
            {
                AppendRedactedQuery(ref url, query);
            }
        }
        else if (_applicationUrl is not null)
        {
            Text(output, "&url="u8, _applicationUrl, MatomoLimits.Url);
        }

        if (e.Kind == TrackedEventKind.PageView)
        {
            Text(output, "&action_name="u8, e.Action, MatomoLimits.ActionName);
            HitEncoder.ServerTime(in e, output);
        }
        else if (e.Kind != TrackedEventKind.Event)
        {
            HitEncoder.EncodeAction(in e, output);
        }
        else
        {
            Text(output, "&e_c="u8, e.Category, MatomoLimits.EventField);
            Text(output, "&e_a="u8, e.Action, MatomoLimits.EventField);
            if (!e.Name.IsNone)
            {
                if (e.Name.IsNumber)
                {
                    Raw(output, "&e_n="u8);
                    Number(output, e.Name.Number);
                }
                else if (e.Name.Text is { Length: > 0 } name)
                {
                    Text(output, "&e_n="u8, name, MatomoLimits.EventField);
                }
            }

            if (e.Value.IsNumber)
            {
                Raw(output, "&e_v="u8);
                Number(output, e.Value.Number);
            }

            Raw(output, "&ca=1"u8);
        }

        Text(output, "&urlref="u8, request.Referrer, MatomoLimits.Url);
        Text(output, "&ua="u8, request.UserAgent, MatomoLimits.UserAgent);
        Text(output, "&lang="u8, request.AcceptLanguage, MatomoLimits.Language);

        Raw(output, "&cid="u8);
        Ascii(output, visitorId);

        if (e.UserId is { Length: > 0 } userId)
        {
            Text(output, "&uid="u8, _hashUserId ? _visitorIds.HashUserId(userId) : userId, MatomoLimits.UserId);
        }

        if (includeIp && _sendIp && request.RemoteIp is { } ip)
        {
            Raw(output, "&cip="u8);
            output.Write(EncodedIp(ip));
        }

        Raw(output, "&cdt="u8);
        var seconds = (e.TimestampTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
        Integer(output, seconds);

        HitEncoder.Dimensions(output, _dimensions, e.Extras?.Dimensions);
    }

    /// <summary>The anonymised IP, percent-encoded, cached by its masked bytes so a returning visitor costs no allocation.</summary>
    private byte[] EncodedIp(IPAddress ip)
    {
        var key = IpAnonymizer.Key(ip, _maskBytes);
        if (_encodedIps.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var buffer = new ArrayBufferWriter<byte>(64);
        WriteIp(buffer, IpAnonymizer.Anonymize(ip, _maskBytes));
        var encoded = buffer.WrittenSpan.ToArray();
        if (_encodedIps.Count >= EncodedIpCacheLimit)
        {
            _encodedIps.Clear();
        }

        _encodedIps[key] = encoded;
        return encoded;
    }

    private void AppendRedactedQuery(ref PercentEncoder url, string query)
    {
        var rest = query.AsSpan(1);
        var first = true;
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            url.Append(first ? "?" : "&");
            first = false;
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            url.Append(key);
            if (eq >= 0)
            {
                url.Append("=");
                url.Append(IsRedacted(key) ? "REDACTED" : pair[(eq + 1)..]);
            }
        }
    }

    private bool IsRedacted(ReadOnlySpan<char> rawKey)
    {
        var key = Uri.UnescapeDataString(rawKey.ToString());
        return _redacted!.Contains(key);
    }

    internal static void Text(IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, string? value, int maxBytes)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Raw(output, prefix);
        var encoder = new PercentEncoder(output, maxBytes);
        encoder.Append(value);
    }

    internal static void Raw(IBufferWriter<byte> output, ReadOnlySpan<byte> ascii) => output.Write(ascii);

    private static void Ascii(IBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }

        output.Advance(ascii.Length);
    }

    internal static void Number(IBufferWriter<byte> output, double value)
    {
        if (Math.Abs(value) < 1e15 && value == Math.Floor(value) && !(value == 0 && double.IsNegative(value)))
        {
            // Whole numbers (ids, counts) as "R" writes them, without its shortest-round-trip search.
            Integer(output, (long)value);
            return;
        }

        // "R" can give an exponent ("1E+20"): the percent-encoder turns '+' into %2B so PHP does not read a space.
        Span<char> chars = stackalloc char[32];
        if (value.TryFormat(chars, out var written, "R", CultureInfo.InvariantCulture))
        {
            var encoder = new PercentEncoder(output, 64);
            encoder.Append(chars[..written]);
        }
    }

    internal static void Integer(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static void WriteIp(IBufferWriter<byte> output, IPAddress ip)
    {
        Span<char> chars = stackalloc char[64];
        if (ip.TryFormat(chars, out var written))
        {
            // IPv6 colons are reserved in a query value: encode them.
            var encoder = new PercentEncoder(output, 64);
            encoder.Append(chars[..written]);
        }
    }
}
