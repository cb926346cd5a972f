namespace Piwik.Sending;

/// <summary>Edits of an encoded entry (<c>?a=1&amp;b=2</c>): values are percent-encoded, so <c>&amp;</c> only separates parameters.</summary>
internal static class EntryParameters
{
    /// <summary>The entry without parameter <paramref name="name"/> (ASCII), or the entry itself when it has none.</summary>
    public static byte[] Without(ReadOnlySpan<byte> entry, ReadOnlySpan<byte> name)
    {
        var position = 0;
        while (position < entry.Length)
        {
            // Parameters start after '?' or '&'.
            var start = position + 1;
            var end = entry[start..].IndexOf((byte)'&');
            end = end < 0 ? entry.Length : start + end;
            var parameter = entry[start..end];
            if (parameter.Length > name.Length && parameter[name.Length] == (byte)'=' && parameter.StartsWith(name))
            {
                var result = new byte[entry.Length - (end - position)];
                entry[..position].CopyTo(result);
                if (position == 0 && end < entry.Length)
                {
                    // The first parameter: keep the '?' and drop the '&' after it instead.
                    result[0] = (byte)'?';
                    entry[(end + 1)..].CopyTo(result.AsSpan(1));
                }
                else
                {
                    entry[end..].CopyTo(result.AsSpan(position));
                }

                return result;
            }

            position = end;
        }

        return entry.ToArray();
    }
}
