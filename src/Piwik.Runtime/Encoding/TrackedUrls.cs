using Microsoft.AspNetCore.Http;
using Piwik.Capture;

namespace Piwik.Encoding;

/// <summary>
/// Builds the two URLs an entry carries, in the form a browser's tracker sends them, so a page tracked here and by
/// Matomo's JavaScript gets one URL: <c>url</c> (scheme and host, pinned by <see cref="PiwikOptions.ApplicationUrl"/>
/// or else from a valid Host header; the path percent-encoded as <see cref="PathString.ToUriComponent()"/> gives it) and
/// <c>urlref</c> (http and https only). Both keep of their query string what <see cref="QueryStringMode"/> allows, plus
/// the campaign parameters. Each is ASCII and at most <see cref="MatomoLimits.Url"/> characters, never cut inside a
/// <c>%XX</c>. Not thread-safe: the sender encodes on one loop, and the buffer is reused.
/// </summary>
internal sealed class TrackedUrls
{
    /// <summary>Stands in for a Host header that is not a host name, so the path is still reported.</summary>
    public const string InvalidHost = "unknown.invalid";

    private readonly char[] _buffer = new char[MatomoLimits.Url];
    private readonly string? _pinnedOrigin;
    private readonly bool _redact;
    private readonly HashSet<string> _redacted;
    private readonly string[] _campaignPrefixes;
    private string? _lastHeader;
    private string? _lastHost;
    private int _length;
    private bool _full;

    public TrackedUrls(PiwikOptions options)
    {
        _pinnedOrigin = options.ApplicationUrl is { } app && Uri.TryCreate(app, UriKind.Absolute, out var url) ? HostName.Origin(url) : null;
        _redact = options.QueryString == QueryStringMode.Redact;
        _redacted = new HashSet<string>(options.RedactedQueryParameters, StringComparer.OrdinalIgnoreCase);
        _campaignPrefixes = options.KeepCampaignParameters ? options.CampaignParameterPrefixes.Where(p => !string.IsNullOrEmpty(p)).ToArray() : [];
    }

    /// <summary>Whether the query string of a request is needed at all (to capture only what is sent).</summary>
    public static bool NeedsQuery(PiwikOptions options) =>
        options.QueryString == QueryStringMode.Redact || (options.KeepCampaignParameters && options.CampaignParameterPrefixes.Any(p => !string.IsNullOrEmpty(p)));

    /// <summary>How many characters of the last <see cref="Page"/> URL are its origin (scheme and host): what repeats from event to event.</summary>
    public int OriginLength { get; private set; }

    /// <summary>
    /// The page's URL; empty when there is none (no Host header and no <see cref="PiwikOptions.ApplicationUrl"/>).
    /// <paramref name="host"/> is the host the URL names when it came from the request (null when pinned or absent).
    /// </summary>
    public ReadOnlySpan<char> Page(in RequestSnapshot request, out string? host)
    {
        Reset();
        host = null;
        if (_pinnedOrigin is not null)
        {
            Put(_pinnedOrigin);
        }
        else if (request.Host is { Length: > 0 } header)
        {
            if (!string.Equals(header, _lastHeader, StringComparison.Ordinal))
            {
                // Hosts rarely vary: the last one's check is kept.
                _lastHost = HostName.Normalize(header) ?? InvalidHost;
                _lastHeader = header;
            }

            host = _lastHost!;
            Put(request.IsHttps ? "https://" : "http://");
            Put(host);
        }
        else
        {
            return default;
        }

        OriginLength = _length;
        var pathBase = PathUri(request.PathBase);
        var path = PathUri(request.Path);
        Put(pathBase);
        Put(pathBase.Length == 0 && path.Length == 0 ? "/" : path);
        if (request.Query is { Length: > 1 } query)
        {
            PutQuery(query.AsSpan(1));
        }

        return Result();
    }

    /// <summary>The referrer as sent, without credentials or fragment, its query as the policy allows; empty when it is not an http(s) URL.</summary>
    public ReadOnlySpan<char> Referrer(string? referrer)
    {
        Reset();
        if (string.IsNullOrEmpty(referrer)
            || !(referrer.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || referrer.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            || !Uri.TryCreate(referrer, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || HostName.TryOrigin(uri) is not { } origin)
        {
            return default; // not an http(s) URL, or a host without a punycode form: no referrer rather than a failed event
        }

        Put(origin);
        Put(uri.AbsolutePath);
        if (uri.Query is { Length: > 1 } query)
        {
            PutQuery(query.AsSpan(1));
        }

        return Result();
    }

    /// <summary>The URL; when it was cut, without a last character whose UTF-8 escapes were cut in part.</summary>
    private ReadOnlySpan<char> Result()
    {
        if (_full)
        {
            var start = _length;
            while (start >= 3 && _buffer[start - 3] == '%' && EscapedByte(start - 3) is >= 0x80 and < 0xC0)
            {
                start -= 3; // continuation bytes
            }

            if (start >= 3 && _buffer[start - 3] == '%' && EscapedByte(start - 3) is var lead and >= 0xC0)
            {
                var needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                if ((_length - (start - 3)) / 3 < needed)
                {
                    _length = start - 3;
                }
            }
        }

        return _buffer.AsSpan(0, _length);
    }

    private int EscapedByte(int percent) =>
        percent + 2 < _length && char.IsAsciiHexDigit(_buffer[percent + 1]) && char.IsAsciiHexDigit(_buffer[percent + 2])
            ? Convert.FromHexString(_buffer.AsSpan(percent + 1, 2))[0]
            : -1;

    private static string PathUri(string? path) =>
        string.IsNullOrEmpty(path) ? "" : new PathString(path[0] == '/' ? path : "/" + path).ToUriComponent();

    private void Reset()
    {
        _length = 0;
        _full = false;
    }

    /// <summary>Appends the pairs the policy keeps: every pair (secrets redacted) in Redact mode, else the campaign ones.</summary>
    private void PutQuery(ReadOnlySpan<char> query)
    {
        var first = true;
        while (!query.IsEmpty && !_full)
        {
            var amp = query.IndexOf('&');
            var pair = amp < 0 ? query : query[..amp];
            query = amp < 0 ? default : query[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var rawKey = eq < 0 ? pair : pair[..eq];
            var key = Uri.UnescapeDataString(rawKey.ToString().Replace('+', ' '));
            var campaign = IsCampaign(key);
            if (!_redact && !campaign)
            {
                continue;
            }

            PutEscaped(first ? "?" : "&");
            first = false;
            PutEscaped(rawKey);
            if (eq >= 0)
            {
                PutEscaped("=");
                PutEscaped(_redact && !campaign && _redacted.Contains(key) ? "REDACTED" : pair[(eq + 1)..]);
            }
        }
    }

    private bool IsCampaign(string key)
    {
        foreach (var prefix in _campaignPrefixes)
        {
            if (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Appends ASCII URL text as it is, cut at the limit.</summary>
    private void Put(ReadOnlySpan<char> ascii)
    {
        if (_length + ascii.Length <= _buffer.Length && !ascii.Contains('%'))
        {
            // Fits, and holds no escape to keep whole: one copy (the common case, a host or a path).
            ascii.CopyTo(_buffer.AsSpan(_length));
            _length += ascii.Length;
            return;
        }

        foreach (var c in ascii)
        {
            if (c == '%')
            {
                // An escape is kept whole or not at all.
                if (_length + 3 > _buffer.Length)
                {
                    _full = true;
                    return;
                }
            }

            if (_length == _buffer.Length)
            {
                _full = true;
                return;
            }

            _buffer[_length++] = c;
        }
    }

    /// <summary>
    /// Appends query text as a browser would have sent it: valid <c>%XX</c> and the characters a query may hold stay;
    /// anything else (a space, <c>#</c>, a stray <c>%</c>, non-ASCII as UTF-8) is percent-encoded.
    /// </summary>
    private void PutEscaped(ReadOnlySpan<char> text)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length && !_full; i++)
        {
            var c = text[i];
            if (c == '%' && i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                Put(text.Slice(i, 3));
                i += 2;
                continue;
            }

            if (c < 0x80 && IsQueryChar(c))
            {
                Put([c]);
                continue;
            }

            var rune = System.Text.Rune.ReplacementChar;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                rune = new System.Text.Rune(c, text[++i]);
            }
            else if (!char.IsSurrogate(c))
            {
                rune = new System.Text.Rune(char.IsControl(c) ? ' ' : c);
            }

            var length = rune.EncodeToUtf8(utf8);
            if (_length + (3 * length) > _buffer.Length)
            {
                _full = true;
                return;
            }

            for (var b = 0; b < length; b++)
            {
                _buffer[_length++] = '%';
                _buffer[_length++] = "0123456789ABCDEF"[utf8[b] >> 4];
                _buffer[_length++] = "0123456789ABCDEF"[utf8[b] & 0xF];
            }
        }
    }

    /// <summary>RFC 3986 <c>query</c> characters: unreserved, sub-delims, <c>: @ / ?</c>.</summary>
    private static bool IsQueryChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '=' or ':' or '@' or '/' or '?';
}
