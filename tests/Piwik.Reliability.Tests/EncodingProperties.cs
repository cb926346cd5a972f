using System.Buffers;
using System.Net;
using StringBuilder = System.Text.StringBuilder;
using CsCheck;
using Piwik.Capture;
using Piwik.Encoding;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>
/// Property-based tests of encoding and truncation: any string (lone and paired surrogates, control characters, up
/// to 100 KB) encodes to a valid Matomo entry within the limits and decodes back to the cleaned, cut original.
/// </summary>
public class EncodingProperties
{
    /// <summary>Strings biased towards what breaks encoders: surrogates (paired and lone), controls, non-ASCII, reserved ASCII.</summary>
    private static readonly Gen<string> HostileString = Gen.OneOf(
        Gen.Char.Array[0, 3000].Select(c => new string(c)),
        Gen.OneOf<char>('\uD83D', '\uDE00', '\uD800', '\uDFFF', '\0', '\r', '\n', '\t', '\u007F', '\u0085', '&', '=', '+', '%', '?', '#', ' ', 'é', '€', '字', 'a')
            .Array[0, 3000].Select(c => new string(c)),
        Gen.Int[50_000, 100_000].Select(n => new string('é', n / 2) + "\uD83D\uDE00" + new string('x', n / 2)));

    /// <summary>
    /// The reference model: control characters become a space, lone surrogates U+FFFD, then cut to whole characters
    /// within the budget, measured as Matomo measures it (bytes, or the HTML-escaped form's bytes or characters).
    /// </summary>
    private static string CleanAndCut(string value, int maxBytes, TextMeasure measure = TextMeasure.Utf8Bytes)
    {
        var result = new StringBuilder();
        var bytes = 0;
        for (var i = 0; i < value.Length; i++)
        {
            string piece;
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                piece = value.Substring(i++, 2);
            }
            else if (char.IsSurrogate(value[i]))
            {
                piece = "\uFFFD";
            }
            else if (char.IsControl(value[i]))
            {
                piece = " ";
            }
            else
            {
                piece = value[i].ToString();
            }

            var length = Measure(piece, measure);
            if (bytes + length > maxBytes)
            {
                break;
            }

            bytes += length;
            result.Append(piece);
        }

        return result.ToString();
    }

    /// <summary>The size of one character as Matomo measures it: its UTF-8 bytes, or those of its HTML-escaped form, or its escaped characters.</summary>
    private static int Measure(string piece, TextMeasure measure)
    {
        var escaped = measure == TextMeasure.Utf8Bytes ? piece : System.Net.WebUtility.HtmlEncode(piece).Replace("&#39;", "&#039;", StringComparison.Ordinal);
        if (piece.Length == 1 && piece[0] > 0x7F && measure != TextMeasure.Utf8Bytes)
        {
            escaped = piece; // HtmlEncode also escapes some non-ASCII as numeric entities; Matomo's htmlspecialchars does not
        }

        return measure == TextMeasure.EscapedCharacters ? escaped.EnumerateRunes().Count() : System.Text.Encoding.UTF8.GetByteCount(escaped);
    }

    private static bool IsValidQueryValue(ReadOnlySpan<byte> encoded)
    {
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == '%')
            {
                if (i + 2 >= encoded.Length || !Uri.IsHexDigit((char)encoded[i + 1]) || !Uri.IsHexDigit((char)encoded[i + 2]))
                {
                    return false;
                }

                i += 2;
            }
            else if (!PercentEncoder.IsUnreserved(b))
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Any_string_percent_encodes_to_unreserved_ascii_within_its_budget_and_decodes_to_the_cleaned_cut_original()
    {
        Gen.Select(HostileString, Gen.Int[0, 2048]).Sample((value, budget) =>
        {
            var output = new ArrayBufferWriter<byte>();
            var encoder = new PercentEncoder(output, budget);
            encoder.Append(value);
            var encoded = output.WrittenSpan;
            if (!IsValidQueryValue(encoded))
            {
                return false;
            }

            var decoded = Uri.UnescapeDataString(System.Text.Encoding.ASCII.GetString(encoded));
            return System.Text.Encoding.UTF8.GetByteCount(decoded) <= budget && decoded == CleanAndCut(value, budget);
        }, iter: 300);
    }

    [Fact]
    public void Any_event_encodes_to_an_entry_matomo_accepts_with_every_value_within_its_limit()
    {
        var options = new PiwikOptions { VisitorIdSecret = "property-test-secret-123", HashUserId = false };
        Gen.Select(HostileString, HostileString, HostileString, HostileString, HostileString, HostileString).Sample((category, action, name, agent, language, user) =>
        {
            // One encoder per sample: an encoder belongs to the sender's one read loop (its visitor-id cache and
            // buffers are not shared between threads), and Sample runs on several threads.
            var encoder = new EntryEncoder(options);
            // The recorder refuses blank categories and actions (Matomo would turn them into page views).
            category = "c" + category;
            action = "a" + action;
            var request = new RequestSnapshot(true, "example.com", null, "/p", null, agent, language, null, IPAddress.Loopback);
            var e = new TrackedEvent(TrackedEventKind.Event, DateTime.UtcNow.Ticks, category, action, TrackedValue.FromText(name), TrackedValue.None, request, user);
            var output = new ArrayBufferWriter<byte>();
            encoder.Encode(e, encoder.VisitorId(e), includeIp: false, output);
            var raw = System.Text.Encoding.ASCII.GetString(output.WrittenSpan);
            if (!raw.StartsWith('?') || raw.Any(c => c > 0x7E || c < 0x21 || c == '#' || c == '+'))
            {
                return false;
            }

            var entry = TrackedEntry.Parse(raw);
            bool Is(string key, string? original, int limit, TextMeasure measure = TextMeasure.Utf8Bytes) =>
                string.IsNullOrEmpty(original) ? !entry.Has(key) : entry[key] == CleanAndCut(original, limit, measure);

            return Is("e_c", category, MatomoLimits.EventField, TextMeasure.EscapedCharacters)
                && Is("e_a", action, MatomoLimits.EventField, TextMeasure.EscapedCharacters)
                && Is("e_n", name, MatomoLimits.EventField, TextMeasure.EscapedCharacters)
                && Is("ua", agent, MatomoLimits.UserAgent)
                && Is("lang", language, MatomoLimits.Language)
                && Is("uid", user, MatomoLimits.UserId)
                && entry["cid"].Length == 16 && entry["cid"].All(char.IsAsciiHexDigit)
                && entry["ca"] == "1" && entry["rec"] == "1";
        }, iter: 150);
    }
    [Fact]
    public void Any_request_gives_a_url_and_referrer_a_browser_could_send_within_the_limit()
    {
        var hostChars = Gen.OneOf<char>('a', 'Z', '0', '-', '.', ':', '[', ']', 'ü', ' ', '/', '@', '_', '%').Array[0, 40].Select(c => new string(c));
        var schemes = Gen.OneOf<string>("https://", "http://", "HTTP://", "javascript:", "data:", "ftp://", "", "//");
        Gen.Select(hostChars, HostileString, HostileString, schemes, HostileString, Gen.Bool).Sample((host, path, query, scheme, rest, redact) =>
        {
            var options = new PiwikOptions { QueryString = redact ? QueryStringMode.Redact : QueryStringMode.Omit };
            var encoder = new EntryEncoder(options);
            var request = new RequestSnapshot(false, host, null, "/" + path, "?utm_source=" + query, null, null, scheme + rest, IPAddress.Loopback);
            var e = new TrackedEvent(TrackedEventKind.Event, DateTime.UtcNow.Ticks, "c", "a", TrackedValue.None, TrackedValue.None, request, null);
            var output = new ArrayBufferWriter<byte>();
            encoder.Encode(e, encoder.VisitorId(e), includeIp: false, output);
            var entry = TrackedEntry.Parse(System.Text.Encoding.ASCII.GetString(output.WrittenSpan));
            static bool IsUrl(string url) =>
                url.Length <= MatomoLimits.Url
                && (url.StartsWith("http://", StringComparison.Ordinal) || url.StartsWith("https://", StringComparison.Ordinal))
                && url.All(c => c is > ' ' and < (char)0x7F && c != '#')
                && System.Text.RegularExpressions.Regex.IsMatch(url, "^https?://([a-z0-9_-]+(\\.[a-z0-9_-]+)*|\\[[0-9a-f:.]+\\])(:[0-9]{1,5})?(/|$)")
                && System.Text.RegularExpressions.Regex.IsMatch(url, "^[^%]*(%[0-9A-F]{2}[^%]*)*$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
            return (!entry.Has("url") || IsUrl(entry["url"])) && (!entry.Has("urlref") || IsUrl(entry["urlref"]));
        }, iter: 300);
    }

    /// <summary>
    /// The stand-in Matomo's entry parser (made cheaper for the load test) decodes exactly as the plain one it replaced:
    /// split on <c>&amp;</c> (empty pairs skipped), key and value each through <see cref="WebUtility.UrlDecode(string)"/>,
    /// the last of a repeated key wins, everything up to the first <c>?</c> ignored.
    /// </summary>
    [Fact]
    public void The_stand_in_parses_an_entry_as_the_plain_split_and_decode_does()
    {
        static Dictionary<string, string> Plain(string raw)
        {
            var query = raw.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? raw[(q + 1)..] : raw;
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                parameters[WebUtility.UrlDecode(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : WebUtility.UrlDecode(pair[(eq + 1)..]);
            }

            return parameters;
        }

        var pieces = Gen.OneOf(
            Gen.OneOf<string>("&", "=", "?", "+", "%", "%2", "%41", "%zz", "%C3%A9", "%E2%82", "%26", "%3D", "e_a", "cid", "rec", "1", "é", "\uD83D", " "),
            Gen.Char['a', 'f'].Array[1, 4].Select(c => new string(c)));
        Gen.OneOf(pieces.Array[0, 60].Select(p => string.Concat(p)), HostileString).Sample(raw =>
        {
            var parsed = TrackedEntry.Parse(raw).Parameters;
            var expected = Plain(raw);
            return parsed.Count == expected.Count && expected.All(p => parsed.TryGetValue(p.Key, out var v) && v == p.Value);
        }, iter: 2000);
    }

    /// <summary>
    /// The stand-in Matomo validates the usual bulk body in place (no <see cref="TrackedEntry"/> per entry, for the load
    /// test) and everything else the plain way: both must reach the same verdict on any body, the answer's counts,
    /// which entries are invalid and why, a rollback, what is stored and the token, so that nothing a real Matomo
    /// refuses passes the stand-in. Bodies mix every check of shared/MATOMO.md (idsite, cid, cip, cdt, e_c/e_a, ca,
    /// pf_srv, rec), percent- and <c>+</c>-encoded keys and values, repeated keys, non-ASCII, JSON escapes, other
    /// members, other value kinds and malformed JSON.
    /// </summary>
    [Fact]
    public void The_stand_in_validates_a_bulk_body_in_place_as_the_plain_parse_does()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var key = Gen.OneOf<string>("idsite", "rec", "cid", "cip", "cdt", "e_c", "e_a", "e_n", "ca", "pf_srv", "url", "ua", "apiv",
            "%69dsite", "e%5Fc", "e_c+", "idsite%00", "");
        var value = Gen.OneOf(
            Gen.OneOf<string>("1", "0", "2", "-1", "+1", "%31", "1+", "01", "", " ", "+", "%20", "%09", "\t", "abc", "é",
                "0123456789abcdef", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcde", "%30123456789abcdef",
                "99999999999", "99999999999999999999", (now - 100).ToString(), (now - 90_000).ToString(), (now + 100).ToString(),
                "-5", "5", "%2D5", "x&y", "a=b", "http%3A%2F%2Fexample.test%2F", "%zz", "%"),
            Gen.Char['a', 'f'].Array[1, 3].Select(c => new string(c)));
        var pair = Gen.Select(key, value, Gen.Int[0, 9]).Select((k, v, shape) => shape switch
        {
            0 => k,              // a key without '='
            1 => "",             // an empty pair
            _ => k + "=" + v,
        });
        var typical = Gen.Select(Gen.OneOf<string>("1", "0", "x"), Gen.OneOf<string>("1", "0"), Gen.Bool).Select((site, rec, ca) =>
            $"?idsite={site}&rec={rec}&apiv=1&url=http%3A%2F%2Fexample.test%2F&e_c=account&e_a=signup&e_n=id-1&cid=0123456789abcdef&cdt={now - 5}" + (ca ? "&ca=1" : ""));
        var entry = Gen.OneOf(
            typical,
            pair.Array[0, 14].Select(p => string.Join("&", p)),
            Gen.Select(Gen.OneOf<string>("?", "", "http://x.test/matomo.php?", "??"), pair.Array[0, 14]).Select((prefix, p) => prefix + string.Join("&", p)));
        static string Json(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\t", "\\t") + "\"";
        var body = Gen.Select(entry.Array[0, 6], Gen.Int[0, 13], Gen.OneOf<string>("good-token", "bad-token")).Select((entries, shape, token) =>
        {
            var requests = "[" + string.Join(",", entries.Select(Json)) + "]";
            return shape switch
            {
                0 => "{\"requests\":" + requests + ",\"token_auth\":\"" + token + "\"}",
                1 => "{\"token_auth\":\"" + token + "\", \"requests\" : " + requests + "}\n",
                2 => "{\"requests\":" + requests + ",\"token_auth\":5}",
                3 => "{\"requests\":" + requests + ",\"other\":{\"a\":[1]}}",
                4 => "{\"requests\":" + requests + ",\"requests\":[\"?idsite=1&rec=1&e_n=dup\"]}",
                5 => "{\"requests\":[" + string.Join(",", entries.Select(e => Json(e).Replace("&", "\\u0026"))) + "]}",
                6 => "{\"requests\":[" + string.Join(",", entries.Select(Json).Append("{\"idsite\":1}").Append("7")) + "]}",
                7 => "{\"requests\":" + requests + "} trailing",
                8 => "{\"requests\":" + requests,
                9 => "[" + requests + "]",
                10 => "{\"requests\":\"?idsite=1&rec=1\"}",
                11 => "{\"requ\\u0065sts\":" + requests + "}",
                _ => "{\"requests\":" + requests + "}",
            };
        });
        static string Describe(StandInMatomo.Verdict v) =>
            $"malformed={v.Malformed} token={v.Token} valid={v.TokenValid} count={(v.Malformed ? 0 : v.EntryCount)} rollback={v.RollbackReason} tracked={v.Tracked} "
            + $"invalid=[{string.Join(" | ", v.Invalid.Select(i => i.Entry.Raw + " => " + i.Reason))}] indices=[{string.Join(",", v.InvalidIndices)}] "
            + $"names=[{string.Join(",", v.StoredNames)}] stored=[{string.Join(" | ", (v.StoredEntries ?? []).Select(e => e.Raw + " {" + string.Join(";", e.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)) + "}"))}]";
        var seenInPlace = 0;
        body.Sample(text =>
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            var fast = Describe(StandInMatomo.Judge(bytes, "good-token", null, materialise: true, fast: true));
            var plain = Describe(StandInMatomo.Judge(bytes, "good-token", null, materialise: true, fast: false));
            seenInPlace += text.StartsWith("{\"requests\":[", StringComparison.Ordinal) ? 1 : 0;
            return fast == plain;
        }, iter: 5000, print: text => text);
        Assert.True(seenInPlace > 500);
    }
}
