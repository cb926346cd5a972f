using System.Globalization;
using System.Text.Json;

namespace Piwik.Testing;

/// <summary>The stand-in's verdict on a bulk body: Matomo's validation rules, over the bytes or over parsed entries.</summary>
public sealed partial class StandInMatomo
{
    /// <summary>What the stand-in makes of one bulk body: the answer's counts, and what it stores.</summary>
    internal sealed class Verdict
    {
        /// <summary>Not bulk JSON with a <c>requests</c> array: an empty success.</summary>
        public bool Malformed { get; set; }

        /// <summary>The body's <c>token_auth</c> (a JSON string), or null.</summary>
        public string? Token { get; set; }

        public bool TokenValid { get; set; }

        public int EntryCount { get; set; }

        /// <summary>An entry made <see cref="PoisonEntry"/> true: 500, nothing stored.</summary>
        public bool Poisoned { get; set; }

        /// <summary>An entry failed the whole batch (an unhandled <c>ca=1</c>): 500 with this message, nothing stored.</summary>
        public string? RollbackReason { get; set; }

        public int Tracked { get; set; }

        public List<InvalidEntry> Invalid { get; } = new();

        public List<int> InvalidIndices { get; } = new();

        /// <summary>Stored entries (<c>rec=1</c>), when asked for.</summary>
        public List<TrackedEntry>? StoredEntries { get; set; }

        /// <summary>The decoded <c>e_n</c> of each stored entry ("" when absent).</summary>
        public List<string> StoredNames { get; } = new();
    }

    /// <summary>
    /// Validates a bulk body by Matomo's rules (shared/MATOMO.md). <paramref name="fast"/>: over the body's bytes when it
    /// has the usual shape (an object of <c>requests</c>, an array of plain ASCII strings, and <c>token_auth</c>), each
    /// entry's parameters found in place without building a <see cref="TrackedEntry"/>; anything else (escapes, non-ASCII,
    /// other members, a percent-encoded key or value that validation reads) goes the plain way, which is
    /// <paramref name="fast"/> false: every entry parsed into a <see cref="TrackedEntry"/> and checked by
    /// <see cref="Validate"/>. Both give the same verdict (a property test holds them to it).
    /// </summary>
    internal static Verdict Judge(ReadOnlyMemory<byte> bulk, string? validToken, Func<TrackedEntry, bool>? poison, bool materialise, bool fast)
    {
        var verdict = new Verdict { StoredEntries = materialise ? new List<TrackedEntry>() : null };
        var body = bulk.Span;
        List<Range>? ranges = null;
        List<string>? requests = null;
        string? token;
        if (fast && TryScanBulk(body, out var scanned, out token))
        {
            ranges = scanned;
        }
        else
        {
            (requests, token) = ParseBulk(bulk);
            if (requests is null)
            {
                verdict.Malformed = true;
                return verdict;
            }
        }

        var tokenValid = token is not null && validToken is not null && string.Equals(token, validToken, StringComparison.Ordinal);
        verdict.Token = token;
        verdict.TokenValid = tokenValid;
        var count = ranges?.Count ?? requests!.Count;
        verdict.EntryCount = count;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < count; i++)
        {
            TrackedEntry? entry = null;
            string? reason;
            bool rollback;
            bool stored;
            string? name = null;
            var scan = default(EntryScan);
            var raw = ranges is null ? default : body[ranges[i]];
            var inPlace = ranges is not null && EntryScan.TryScan(raw, out scan);
            if (!inPlace || poison is not null)
            {
                entry = TrackedEntry.Parse(ranges is null ? requests![i] : System.Text.Encoding.ASCII.GetString(raw));
            }

            if (poison is not null && poison(entry!))
            {
                verdict.Poisoned = true;
                return verdict;
            }

            if (inPlace)
            {
                reason = scan.Validate(raw, tokenValid, now, out rollback);
                stored = scan.Is(raw, EntryScan.Rec, "1"u8);
                if (stored)
                {
                    name = scan.Has(EntryScan.EventName) ? System.Text.Encoding.ASCII.GetString(scan.Value(raw, EntryScan.EventName)) : "";
                }
            }
            else
            {
                reason = Validate(entry!, tokenValid, now, out rollback);
                stored = entry!.Get("rec") == "1";
                name = stored ? entry.Get("e_n") ?? "" : null;
            }

            if (rollback)
            {
                verdict.RollbackReason = reason;
                return verdict;
            }

            if (reason is not null)
            {
                entry ??= TrackedEntry.Parse(System.Text.Encoding.ASCII.GetString(raw));
                verdict.Invalid.Add(new InvalidEntry(entry, reason));
                verdict.InvalidIndices.Add(i);
                continue;
            }

            verdict.Tracked++;
            if (stored)
            {
                verdict.StoredNames.Add(name!);
                if (materialise)
                {
                    verdict.StoredEntries!.Add(entry ?? TrackedEntry.Parse(System.Text.Encoding.ASCII.GetString(raw)));
                }
            }
        }

        return verdict;
    }

    /// <summary>
    /// The usual bulk body, read in place: <c>{"requests":[...],"token_auth":"..."}</c> (members in any order, each at
    /// most once, token optional), every entry a JSON string of ASCII without escapes, the token a string without
    /// escapes. False for anything else, malformed JSON included: <see cref="ParseBulk"/> then decides.
    /// </summary>
    private static bool TryScanBulk(ReadOnlySpan<byte> body, out List<Range> entries, out string? token)
    {
        entries = new List<Range>(128);
        token = null;
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var seenRequests = false;
            var seenToken = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.ValueIsEscaped)
                {
                    return false;
                }

                if (!seenRequests && reader.ValueTextEquals("requests"u8))
                {
                    seenRequests = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                    {
                        return false;
                    }

                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !System.Text.Ascii.IsValid(reader.ValueSpan))
                        {
                            return false;
                        }

                        var start = (int)reader.TokenStartIndex + 1; // after the opening quote
                        entries.Add(new Range(start, start + reader.ValueSpan.Length));
                    }
                }
                else if (!seenToken && reader.ValueTextEquals("token_auth"u8))
                {
                    seenToken = true;
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !System.Text.Ascii.IsValid(reader.ValueSpan))
                    {
                        return false;
                    }

                    token = System.Text.Encoding.ASCII.GetString(reader.ValueSpan);
                }
                else
                {
                    return false;
                }
            }

            // Nothing but whitespace may follow the object (the reader throws otherwise).
            return seenRequests && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The parameters of one entry that validation reads, found in its bytes (the last of a repeated key wins, as in
    /// <see cref="TrackedEntry.Parse"/>). Declines (false) when a key or one of these values is percent- or
    /// <c>+</c>-encoded: decoding could change what it says, so <see cref="TrackedEntry.Parse"/> decides.
    /// </summary>
    private struct EntryScan
    {
        public const int IdSite = 0, Cid = 1, Cip = 2, Cdt = 3, Category = 4, Action = 5, CustomAction = 6, ServerTime = 7, Rec = 8, EventName = 9, Count = 10;

        private Bounds _bounds;

        [System.Runtime.CompilerServices.InlineArray(Count)]
        private struct Bounds
        {
            private (int Start, int Length) _first;
        }

        public static bool TryScan(ReadOnlySpan<byte> raw, out EntryScan scan)
        {
            scan = default;
            for (var k = 0; k < Count; k++)
            {
                scan._bounds[k] = (-1, 0);
            }

            var q = raw.IndexOf((byte)'?');
            var offset = q + 1; // 0 when there is no '?'
            var query = raw[offset..];
            while (!query.IsEmpty)
            {
                var amp = query.IndexOf((byte)'&');
                var pair = amp < 0 ? query : query[..amp];
                var pairOffset = offset;
                offset += amp < 0 ? query.Length : amp + 1;
                query = amp < 0 ? default : query[(amp + 1)..];
                if (pair.IsEmpty)
                {
                    continue;
                }

                var eq = pair.IndexOf((byte)'=');
                var key = eq < 0 ? pair : pair[..eq];
                if (key.IndexOfAny((byte)'%', (byte)'+') >= 0)
                {
                    return false;
                }

                var slot = Slot(key);
                if (slot >= 0)
                {
                    scan._bounds[slot] = eq < 0 ? (pairOffset + pair.Length, 0) : (pairOffset + eq + 1, pair.Length - eq - 1);
                }
            }

            for (var k = 0; k < Count; k++)
            {
                if (k != Cip && scan.Has(k) && scan.Value(raw, k).IndexOfAny((byte)'%', (byte)'+') >= 0)
                {
                    return false;
                }
            }

            return true;
        }

        private static int Slot(ReadOnlySpan<byte> key) => key.Length switch
        {
            2 when key.SequenceEqual("ca"u8) => CustomAction,
            3 when key.SequenceEqual("cid"u8) => Cid,
            3 when key.SequenceEqual("cip"u8) => Cip,
            3 when key.SequenceEqual("cdt"u8) => Cdt,
            3 when key.SequenceEqual("e_c"u8) => Category,
            3 when key.SequenceEqual("e_a"u8) => Action,
            3 when key.SequenceEqual("e_n"u8) => EventName,
            3 when key.SequenceEqual("rec"u8) => Rec,
            6 when key.SequenceEqual("idsite"u8) => IdSite,
            6 when key.SequenceEqual("pf_srv"u8) => ServerTime,
            _ => -1,
        };

        public readonly bool Has(int slot) => _bounds[slot].Start >= 0;

        public readonly ReadOnlySpan<byte> Value(ReadOnlySpan<byte> raw, int slot) => raw.Slice(_bounds[slot].Start, _bounds[slot].Length);

        public readonly bool Is(ReadOnlySpan<byte> raw, int slot, ReadOnlySpan<byte> value) => Has(slot) && Value(raw, slot).SequenceEqual(value);

        private readonly bool IsNullOrEmpty(int slot) => !Has(slot) || _bounds[slot].Length == 0;

        private readonly bool IsBlank(ReadOnlySpan<byte> raw, int slot)
        {
            if (!Has(slot) || _bounds[slot].Length == 0)
            {
                return false;
            }

            foreach (var b in Value(raw, slot))
            {
                if (!char.IsWhiteSpace((char)b))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary><see cref="StandInMatomo.Validate"/>, check for check, in the same order, over the bytes.</summary>
        public readonly string? Validate(ReadOnlySpan<byte> raw, bool tokenValid, long now, out bool rollback)
        {
            rollback = false;
            if (!Has(IdSite) || !int.TryParse(Value(raw, IdSite), NumberStyles.None, CultureInfo.InvariantCulture, out var site) || site <= 0)
            {
                return "idsite missing or not a positive integer";
            }

            if (Has(Cid) && (_bounds[Cid].Length != 16 || Value(raw, Cid).ContainsAnyExcept(HexBytes)))
            {
                return "cid must be 16 hexadecimal characters";
            }

            if (Has(Cip) && !tokenValid)
            {
                return "cip requires a valid token_auth";
            }

            if (Has(Cdt))
            {
                if (!long.TryParse(Value(raw, Cdt), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    return "cdt is not a UNIX timestamp";
                }

                if (now - seconds > 24 * 3600 && !tokenValid)
                {
                    return "cdt older than 24 hours requires a valid token_auth";
                }
            }

            if (IsBlank(raw, Category) || IsBlank(raw, Action))
            {
                return "e_c/e_a must not be whitespace";
            }

            if (Is(raw, CustomAction, "1"u8) && (IsNullOrEmpty(Category) || IsNullOrEmpty(Action)))
            {
                rollback = true;
                return "custom action that no plugin handles";
            }

            if (Has(ServerTime) && _bounds[ServerTime].Length > 0 && raw[_bounds[ServerTime].Start] == (byte)'-')
            {
                return "pf_srv must not be negative";
            }

            return null;
        }
    }

    private static readonly System.Buffers.SearchValues<byte> HexBytes = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF"u8);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Matomo's validation of one entry; null when valid.</summary>
    private static string? Validate(TrackedEntry entry, bool tokenValid, long now, out bool rollback)
    {
        rollback = false;
        if (!int.TryParse(entry.Get("idsite"), NumberStyles.None, CultureInfo.InvariantCulture, out var site) || site <= 0)
        {
            return "idsite missing or not a positive integer";
        }

        if (entry.Get("cid") is { } cid && (cid.Length != 16 || cid.AsSpan().ContainsAnyExcept(HexDigits)))
        {
            return "cid must be 16 hexadecimal characters";
        }

        if (entry.Has("cip") && !tokenValid)
        {
            return "cip requires a valid token_auth";
        }

        if (entry.Get("cdt") is { } cdt)
        {
            if (!long.TryParse(cdt, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return "cdt is not a UNIX timestamp";
            }

            if (now - seconds > 24 * 3600 && !tokenValid)
            {
                return "cdt older than 24 hours requires a valid token_auth";
            }
        }

        if ((entry.Get("e_c") is { } c && string.IsNullOrWhiteSpace(c) && c.Length > 0)
            || (entry.Get("e_a") is { } a && string.IsNullOrWhiteSpace(a) && a.Length > 0))
        {
            return "e_c/e_a must not be whitespace";
        }

        if (entry.Get("ca") == "1" && (string.IsNullOrEmpty(entry.Get("e_c")) || string.IsNullOrEmpty(entry.Get("e_a"))))
        {
            rollback = true;
            return "custom action that no plugin handles";
        }

        if (entry.Get("pf_srv") is { } pf && pf.StartsWith('-'))
        {
            return "pf_srv must not be negative";
        }

        return null;
    }
}
