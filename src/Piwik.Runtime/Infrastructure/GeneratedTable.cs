using System.Globalization;
using System.Text;

namespace Piwik.Infrastructure;

/// <summary>
/// Reads the text tables the Piwik source generator emits instead of one statement per row (a statement per row made
/// the generated code cost more to compile than the generator's own work).
/// </summary>
/// <remarks>
/// <para>
/// The layout: one row per line (<c>\n</c>, or <c>\r\n</c>); fields separated by <c>|</c>; a field that is exactly
/// <c>~</c> is <c>null</c>; in a field, <c>\</c> escapes the next character (<c>\|</c>, <c>\~</c>, <c>\\</c>), and
/// <c>\uXXXX</c> is the UTF-16 code unit XXXX (the generator writes control and line-break characters that way, so a
/// row stays on its line). What each field means is up to the caller; the generated file's header spells it out.
/// </para>
/// <para>Rows are read once, at start-up (registrations) or on first use (the tracking plan).</para>
/// </remarks>
internal static class GeneratedTable
{
    /// <summary>Splits a table into its rows; empty lines (the raw literal's edges) are skipped.</summary>
    public static List<Row> Rows(string table)
    {
        var rows = new List<Row>();
        var start = 0;
        while (start <= table.Length)
        {
            var end = table.IndexOf('\n', start);
            if (end < 0)
            {
                end = table.Length;
            }

            var last = end > start && table[end - 1] == '\r' ? end - 1 : end;
            if (last > start)
            {
                rows.Add(new Row(table, start, last));
            }

            start = end + 1;
        }

        return rows;
    }

    /// <summary>One row: its fields are read in order with <see cref="Next"/>.</summary>
    internal struct Row(string table, int start, int end)
    {
        private int _position = start;

        /// <summary>Whether a field is left.</summary>
        public readonly bool HasMore => _position <= end;

        /// <summary>The next field, unescaped; <c>null</c> for <c>~</c>.</summary>
        /// <exception cref="FormatException">No field is left, or an escape is cut short.</exception>
        public string? Next()
        {
            if (!HasMore)
            {
                throw new FormatException("A generated Piwik table row has fewer fields than expected.");
            }

            var first = _position;
            StringBuilder? unescaped = null;
            var copied = first;
            var i = first;
            while (i < end && table[i] != '|')
            {
                if (table[i] != '\\')
                {
                    i++;
                    continue;
                }

                unescaped ??= new StringBuilder();
                unescaped.Append(table, copied, i - copied);
                if (i + 1 >= end)
                {
                    throw new FormatException("A generated Piwik table row ends in an escape.");
                }

                if (table[i + 1] == 'u')
                {
                    if (i + 6 > end
                        || !ushort.TryParse(table.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new FormatException("A generated Piwik table row has a malformed \\u escape.");
                    }

                    unescaped.Append((char)code);
                    i += 6;
                }
                else
                {
                    unescaped.Append(table[i + 1]);
                    i += 2;
                }

                copied = i;
            }

            _position = i + 1;
            if (unescaped is not null)
            {
                return unescaped.Append(table, copied, i - copied).ToString();
            }

            return i - first == 1 && table[first] == '~' ? null : table.Substring(first, i - first);
        }

        /// <summary>The next field, which must not be <c>null</c>.</summary>
        /// <exception cref="FormatException">The field is <c>~</c>.</exception>
        public string NextText() =>
            Next() ?? throw new FormatException("A generated Piwik table row has ~ where a text is required.");

        /// <summary>The next field as a non-negative index, or -1 when it is empty.</summary>
        /// <exception cref="FormatException">The field is not a number.</exception>
        public int NextIndex()
        {
            var text = NextText();
            if (text.Length == 0)
            {
                return -1;
            }

            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                ? index
                : throw new FormatException($"A generated Piwik table row has '{text}' where an index is required.");
        }
    }
}
