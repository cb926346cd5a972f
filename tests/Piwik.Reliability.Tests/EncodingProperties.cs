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

    /// <summary>The reference model: control characters become a space, lone surrogates U+FFFD, then cut to whole characters within the byte budget.</summary>
    private static string CleanAndCut(string value, int maxBytes)
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

            var length = System.Text.Encoding.UTF8.GetByteCount(piece);
            if (bytes + length > maxBytes)
            {
                break;
            }

            bytes += length;
            result.Append(piece);
        }

        return result.ToString();
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
        var encoder = new EntryEncoder(options);
        Gen.Select(HostileString, HostileString, HostileString, HostileString, HostileString, HostileString).Sample((category, action, name, agent, language, user) =>
        {
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
            bool Is(string key, string? original, int limit) =>
                string.IsNullOrEmpty(original) ? !entry.Has(key) : entry[key] == CleanAndCut(original, limit) && System.Text.Encoding.UTF8.GetByteCount(entry[key]) <= limit;

            return Is("e_c", category, MatomoLimits.EventField)
                && Is("e_a", action, MatomoLimits.EventField)
                && Is("e_n", name, MatomoLimits.EventField)
                && Is("ua", agent, MatomoLimits.UserAgent)
                && Is("lang", language, MatomoLimits.Language)
                && Is("uid", user, MatomoLimits.UserId)
                && entry["cid"].Length == 16 && entry["cid"].All(char.IsAsciiHexDigit)
                && entry["ca"] == "1" && entry["rec"] == "1";
        }, iter: 150);
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
}
