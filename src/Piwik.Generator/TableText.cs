using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Piwik.Generator;

/// <summary>
/// Writes the text tables of the generated files: rows of the registrations and of the tracking plan as one raw string
/// literal, read at run time by <c>Piwik.Infrastructure.GeneratedTable</c>. One literal instead of one statement per
/// row: for 1,000 handlers, compiling statements cost more than the generator's own work.
/// </summary>
/// <remarks>
/// The layout (the runtime reader's): one row per line; fields separated by <c>|</c>; <c>~</c> alone is <c>null</c>;
/// <c>\</c> escapes the next character, <c>\uXXXX</c> is a UTF-16 code unit (used for control characters, line
/// breaks and lone surrogates, so that every row stays on one line of the literal).
/// </remarks>
internal static class TableText
{
    /// <summary>A table under construction: rows of fields.</summary>
    public sealed class Builder
    {
        private readonly List<string> _rows = new();
        private readonly StringBuilder _row = new();
        private bool _rowHasField;

        /// <summary>Adds a field to the current row.</summary>
        public Builder Field(string? value)
        {
            if (_rowHasField)
            {
                _row.Append('|');
            }

            _rowHasField = true;
            Escape(_row, value);
            return this;
        }

        /// <summary>Adds an index field, or an empty one for -1.</summary>
        public Builder Index(int index) =>
            Field(index < 0 ? string.Empty : index.ToString(CultureInfo.InvariantCulture));

        /// <summary>Ends the current row.</summary>
        public void EndRow()
        {
            _rows.Add(_row.ToString());
            _row.Clear();
            _rowHasField = false;
        }

        /// <summary>
        /// Appends the rows as a raw string literal whose lines start with <paramref name="indent"/> (the closing
        /// delimiter too), after whatever the caller wrote on the current line (typically <c>= </c>).
        /// </summary>
        public void AppendLiteral(StringBuilder source, string indent)
        {
            // A raw literal's delimiter must be longer than every run of quotes inside it.
            var longestRun = 0;
            foreach (var row in _rows)
            {
                var run = 0;
                foreach (var c in row)
                {
                    run = c == '"' ? run + 1 : 0;
                    longestRun = run > longestRun ? run : longestRun;
                }
            }

            var delimiter = new string('"', longestRun < 3 ? 3 : longestRun + 1);
            source.Append(delimiter).Append('\n');
            foreach (var row in _rows)
            {
                source.Append(indent).Append(row).Append('\n');
            }

            source.Append(indent).Append(delimiter);
        }
    }

    private static void Escape(StringBuilder builder, string? value)
    {
        if (value is null)
        {
            builder.Append('~');
            return;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is '|' or '\\' or '~')
            {
                builder.Append('\\').Append(c);
            }
            else if (c < ' ' || c is '\u007F' or '\u0085' or '\u2028' or '\u2029' || IsLoneSurrogate(value, i))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
    }

    private static bool IsLoneSurrogate(string value, int i)
    {
        var c = value[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]);
        }

        return char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(value[i - 1]));
    }
}
