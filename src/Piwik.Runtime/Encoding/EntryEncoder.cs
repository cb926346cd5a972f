using System.Buffers;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Piwik.Capture;

namespace Piwik.Encoding;

/// <summary>
/// Encodes one <see cref="TrackedEvent"/> as a Matomo bulk entry: a query string starting with <c>?</c>, every value
/// cleaned, cut to Matomo's limits on a character boundary and percent-encoded, numbers in invariant culture. Runs on
/// the background sender only.
/// </summary>
internal sealed partial class EntryEncoder
{
    private readonly byte[] _siteAndFlags;
    private readonly bool _sendIp;
    private readonly int _maskBytes;
    private readonly bool _hashUserId;
    private readonly string? _applicationUrl;
    private readonly TrackedUrls _urls;
    private readonly ClientHintsJson _clientHints = new();
    private readonly EncodedTextCache _userAgents = EncodedTextCache.PercentEncoded(MatomoLimits.UserAgent);
    private readonly EncodedTextCache _languages = EncodedTextCache.PercentEncoded(MatomoLimits.Language);
    private readonly EncodedTextCache _referrers;
    private readonly ILogger _logger;
    private string? _firstHost;
    private bool _hostWarned;
    private readonly (int Id, byte[] Key, string Value)[] _dimensions;
    private readonly VisitorIdGenerator _visitorIds;
    private readonly Dictionary<(UInt128 Bytes, int Length, long ScopeId), byte[]> _encodedIps = new();
    private readonly char[] _origin = new char[MatomoLimits.Url];
    private readonly ArrayBufferWriter<byte> _originEncoded = new(64);
    private int _originLength; // none yet: an empty origin encodes to nothing
    private const int EncodedIpCacheLimit = 8192;

    public EntryEncoder(PiwikOptions options, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _urls = new TrackedUrls(options);
        _referrers = new EncodedTextCache((referrer, output) => new PercentEncoder(output, MatomoLimits.Url).Append(_urls.Referrer(referrer)));
        if (options.Enabled && options.ApplicationUrl is null)
        {
            LogNoApplicationUrl(_logger);
        }

        _siteAndFlags = System.Text.Encoding.ASCII.GetBytes($"?idsite={options.SiteId.ToString(CultureInfo.InvariantCulture)}&rec=1&apiv=1");
        _sendIp = options.SendVisitorIp && options.TokenAuth is not null;
        _maskBytes = options.IpAnonymizationBytes;
        _hashUserId = options.HashUserId;
        _applicationUrl = options.ApplicationUrl;
        _dimensions = options.CustomDimensions
            .OrderBy(d => d.Key)
            .Select(d => (d.Key, System.Text.Encoding.ASCII.GetBytes($"&dimension{d.Key.ToString(CultureInfo.InvariantCulture)}="), d.Value))
            .ToArray();
        _visitorIds = new VisitorIdGenerator(options.VisitorIdSecret);
    }

    /// <summary>Computes the visitor id of an event (16 hex characters), which also picks its lane.</summary>
    public string VisitorId(in TrackedEvent e)
    {
        if (e.UserId is { Length: > 0 } user)
        {
            return _visitorIds.ForUser(user);
        }

        // The User-Agent's kept encoding stands for its text in the visitor-id cache: its text is hashed once per event
        // (here), and the entry's ua= right after reuses the same lookup.
        var userAgent = e.Request.UserAgent;
        return _visitorIds.ForAnonymous(e.Request.RemoteIp, _maskBytes, userAgent, e.TimestampTicks, _userAgents.Encoded(userAgent));
    }

    /// <param name="e">The event.</param>
    /// <param name="visitorId">Its visitor id, from <see cref="VisitorId"/>.</param>
    /// <param name="includeIp">Whether to send <c>cip</c> (only with an accepted token).</param>
    /// <param name="output">Where the entry's ASCII bytes go.</param>
    public void Encode(in TrackedEvent e, string visitorId, bool includeIp, ArrayBufferWriter<byte> output)
    {
        Raw(output, _siteAndFlags);
        var request = e.Request;

        var url = _urls.Page(request, out var host);
        if (!url.IsEmpty)
        {
            NoteHost(host);
            Raw(output, "&url="u8);

            // The URL is ASCII and within the limit (TrackedUrls): its origin and the rest encode apart to the same bytes.
            var origin = url[..Math.Min(_urls.OriginLength, url.Length)];
            WriteOrigin(output, origin);
            new PercentEncoder(output, MatomoLimits.Url - origin.Length).Append(url[origin.Length..]);
        }
        else if (_applicationUrl is not null)
        {
            Text(output, "&url="u8, _applicationUrl, MatomoLimits.Url);
        }

        if (e.Kind == TrackedEventKind.PageView)
        {
            Text(output, "&action_name="u8, e.Action, MatomoLimits.ActionName, TextMeasure.EscapedUtf8Bytes);
            HitEncoder.ServerTime(in e, output);
        }
        else if (e.Kind != TrackedEventKind.Event)
        {
            HitEncoder.EncodeAction(in e, output);
        }
        else
        {
            Text(output, "&e_c="u8, e.Category, MatomoLimits.EventField, TextMeasure.EscapedCharacters);
            Text(output, "&e_a="u8, e.Action, MatomoLimits.EventField, TextMeasure.EscapedCharacters);
            if (!e.Name.IsNone)
            {
                if (e.Name.IsNumber)
                {
                    Raw(output, "&e_n="u8);
                    Number(output, e.Name.Number);
                }
                else if (e.Name.Text is { Length: > 0 } name)
                {
                    Text(output, "&e_n="u8, name, MatomoLimits.EventField, TextMeasure.EscapedCharacters);
                }
            }

            if (e.Value.IsNumber)
            {
                Raw(output, "&e_v="u8);
                Number(output, e.Value.Number);
            }

            Raw(output, "&ca=1"u8);
        }

        _referrers.Write(output, "&urlref="u8, request.Referrer);
        _userAgents.Write(output, "&ua="u8, request.UserAgent);
        Text(output, "&uadata="u8, _clientHints.Write(request.ClientHints), MatomoLimits.ClientHints);
        _languages.Write(output, "&lang="u8, request.AcceptLanguage);

        Raw(output, "&cid="u8);
        Ascii(output, visitorId);

        if (e.UserId is { Length: > 0 } userId)
        {
            Text(output, "&uid="u8, _hashUserId ? _visitorIds.HashUserId(userId) : userId, MatomoLimits.UserId);
        }

        if (includeIp && _sendIp && request.RemoteIp is { } ip)
        {
            Raw(output, "&cip="u8);
            Raw(output, EncodedIp(ip));
        }

        Raw(output, "&cdt="u8);
        var seconds = (e.TimestampTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
        Integer(output, seconds);

        HitEncoder.Dimensions(output, _dimensions, e.Extras?.Dimensions);
    }

    /// <summary>
    /// Writes a page URL's origin percent-encoded, from the encoding of the last origin when it is the same (it nearly
    /// always is: one app, one host), so its <c>://</c> and dots are not encoded one character at a time per event.
    /// </summary>
    private void WriteOrigin(ArrayBufferWriter<byte> output, ReadOnlySpan<char> origin)
    {
        if (!origin.SequenceEqual(_origin.AsSpan(0, _originLength)))
        {
            _originEncoded.ResetWrittenCount();
            new PercentEncoder(_originEncoded, MatomoLimits.Url).Append(origin);
            origin.CopyTo(_origin);
            _originLength = origin.Length;
        }

        Raw(output, _originEncoded.WrittenSpan);
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

    /// <summary>
    /// Warns once when tracked URLs name more than one host from the requests' Host headers (or one that is not a host
    /// name): without <see cref="PiwikOptions.ApplicationUrl"/> a client picks the host Matomo reports.
    /// </summary>
    private void NoteHost(string? host)
    {
        if (host is null || _hostWarned)
        {
            return;
        }

        if (_firstHost is null && host != TrackedUrls.InvalidHost)
        {
            _firstHost = host;
        }
        else if (!string.Equals(host, _firstHost, StringComparison.Ordinal))
        {
            _hostWarned = true;
            LogHostVaries(_logger, _firstHost ?? "(none)", host);
        }
    }

    internal static void Text(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> prefix, string? value, int max, TextMeasure measure = TextMeasure.Utf8Bytes)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        Raw(output, prefix);
        var encoder = new PercentEncoder(output, max, measure);
        encoder.Append(value);
    }

    /// <summary>
    /// Copies bytes as they are. The writer is the concrete <see cref="ArrayBufferWriter{T}"/> (sealed), not
    /// <see cref="IBufferWriter{T}"/>, throughout the encoder: its <c>GetSpan</c> and <c>Advance</c> are then direct calls
    /// the JIT inlines, where the interface's were two dispatches per piece, some 25 pieces an entry.
    /// </summary>
    internal static void Raw(ArrayBufferWriter<byte> output, scoped ReadOnlySpan<byte> ascii)
    {
        ascii.CopyTo(output.GetSpan(ascii.Length));
        output.Advance(ascii.Length);
    }

    private static void Ascii(ArrayBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }

        output.Advance(ascii.Length);
    }

    internal static void Number(ArrayBufferWriter<byte> output, double value)
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

    internal static void Integer(ArrayBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static void WriteIp(ArrayBufferWriter<byte> output, IPAddress ip)
    {
        Span<char> chars = stackalloc char[64];
        if (ip.TryFormat(chars, out var written))
        {
            // IPv6 colons are reserved in a query value: encode them.
            var encoder = new PercentEncoder(output, 64);
            encoder.Append(chars[..written]);
        }
    }

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning, Message = "Piwik:ApplicationUrl is not set: tracked URLs take their scheme and host from each request, whose Host header a client can set to anything. Set Piwik:ApplicationUrl to the app's public URL in production.")]
    private static partial void LogNoApplicationUrl(ILogger logger);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Tracked URLs name more than one host from the requests' Host headers ('{First}', then '{Other}'): Matomo reports whatever host a client sends. Set Piwik:ApplicationUrl to pin it. Logged once.")]
    private static partial void LogHostVaries(ILogger logger, string first, string other);
}
