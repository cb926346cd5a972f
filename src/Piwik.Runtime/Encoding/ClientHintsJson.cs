using System.Text;
using Piwik.Capture;

namespace Piwik.Encoding;

/// <summary>
/// Writes the browser's User-Agent Client Hints as Matomo's JavaScript tracker sends them in <c>uadata</c>: the JSON of
/// <c>navigator.userAgentData.getHighEntropyValues()</c> (<c>brands</c> or <c>fullVersionList</c> as
/// <c>[{"brand","version"}]</c>, <c>mobile</c> as a boolean, <c>platform</c>, <c>platformVersion</c>, <c>model</c>,
/// <c>formFactors</c>), with the values unquoted. Matomo HTML-escapes every value it reads from <c>uadata</c>, so the
/// headers' quoted form (what the PHP tracker forwards) would reach its device detection as <c>&amp;quot;14&amp;quot;</c>.
/// Only hints the browser sent are written. Not thread-safe (one builder, reused on the sender's loop).
/// </summary>
internal sealed class ClientHintsJson
{
    private readonly StringBuilder _json = new(256);

    /// <summary>The JSON, or <c>null</c> when the browser sent no hint.</summary>
    public string? Write(ClientHints? hints)
    {
        if (hints is null || hints.IsEmpty)
        {
            return null;
        }

        _json.Clear().Append('{');
        var first = true;
        if (hints.FullVersionList is { Length: > 0 } full)
        {
            // As the JavaScript tracker does: with the full version list, the brands add nothing.
            BrandList(ref first, "fullVersionList", full);
        }
        else if (hints.Brands is { Length: > 0 } brands)
        {
            BrandList(ref first, "brands", brands);
        }

        if (hints.Mobile is { } mobile && mobile.AsSpan().Trim() is var m && (m.SequenceEqual("?1") || m.SequenceEqual("?0")))
        {
            Name(ref first, "mobile").Append(m[1] == '1' ? "true" : "false");
        }

        Text(ref first, "platform", hints.Platform);
        Text(ref first, "platformVersion", hints.PlatformVersion);
        Text(ref first, "model", hints.Model);
        if (hints.FormFactors is { Length: > 0 } factors)
        {
            Name(ref first, "formFactors").Append('[');
            var any = false;
            var rest = factors.AsSpan();
            while (NextItem(ref rest, out var item, out _))
            {
                _json.Append(any ? "," : "");
                String(item);
                any = true;
            }

            _json.Append(']');
        }

        return first ? null : _json.Append('}').ToString();
    }

    private void BrandList(ref bool first, string name, string header)
    {
        Name(ref first, name).Append('[');
        var any = false;
        var rest = header.AsSpan();
        while (NextItem(ref rest, out var brand, out var version))
        {
            _json.Append(any ? "," : "").Append("{\"brand\":");
            String(brand);
            _json.Append(",\"version\":");
            String(version);
            _json.Append('}');
            any = true;
        }

        _json.Append(']');
    }

    private void Text(ref bool first, string name, string? header)
    {
        if (header is null)
        {
            return;
        }

        var rest = header.AsSpan();
        if (NextItem(ref rest, out var value, out _))
        {
            Name(ref first, name);
            String(value);
        }
    }

    private StringBuilder Name(ref bool first, string name)
    {
        _json.Append(first ? "\"" : ",\"").Append(name).Append("\":");
        first = false;
        return _json;
    }

    private void String(string value)
    {
        _json.Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                _json.Append('\\').Append(c);
            }
            else if (c < 0x20)
            {
                _json.Append("\\u00").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                _json.Append(c);
            }
        }

        _json.Append('"');
    }

    /// <summary>
    /// Reads the next member of a Structured Field list (RFC 8941): a string (<c>"Pixel 8"</c>, its escapes undone) or
    /// a token, and its <c>v</c> parameter when there is one (<c>"Chromium";v="124"</c>). False at the end of the list.
    /// </summary>
    private static bool NextItem(ref ReadOnlySpan<char> rest, out string value, out string version)
    {
        value = version = "";
        rest = rest.TrimStart(" \t,");
        if (rest.IsEmpty)
        {
            return false;
        }

        value = Bare(ref rest);
        while (true)
        {
            rest = rest.TrimStart(" \t");
            if (rest.IsEmpty || rest[0] != ';')
            {
                break;
            }

            rest = rest[1..].TrimStart(" \t");
            var eq = rest.IndexOfAny('=', ';', ',');
            var key = eq < 0 ? rest : rest[..eq];
            rest = eq < 0 ? default : rest[eq..];
            if (!rest.IsEmpty && rest[0] == '=')
            {
                rest = rest[1..];
                var parameter = Bare(ref rest);
                if (key.Trim().SequenceEqual("v"))
                {
                    version = parameter;
                }
            }
        }

        // Skip whatever else the member holds, up to the next one.
        var comma = rest.IndexOf(',');
        rest = comma < 0 ? default : rest[comma..];
        return true;
    }

    /// <summary>A string or a token at the start of <paramref name="rest"/>, without quotes.</summary>
    private static string Bare(ref ReadOnlySpan<char> rest)
    {
        if (!rest.IsEmpty && rest[0] == '"')
        {
            var sb = new StringBuilder();
            var i = 1;
            for (; i < rest.Length && rest[i] != '"'; i++)
            {
                if (rest[i] == '\\' && i + 1 < rest.Length)
                {
                    i++;
                }

                sb.Append(rest[i]);
            }

            rest = i < rest.Length ? rest[(i + 1)..] : default;
            return sb.ToString();
        }

        var end = rest.IndexOfAny(";, \t");
        var token = end < 0 ? rest : rest[..end];
        rest = end < 0 ? default : rest[end..];
        return token.ToString();
    }
}
