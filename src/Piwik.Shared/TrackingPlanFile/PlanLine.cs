using System;
using System.Collections.Generic;
using System.Text;

namespace Piwik.Shared.TrackingPlanFile;

/// <summary>
/// One line of a reviewed tracking plan file (<c>PiwikTrackingPlan.txt</c>): <c>kind key | field: value | ...</c>, for
/// example <c>event account/signup | routes: POST /signup | goal: Sign-ups</c>. Shared as source by the analyzer, which
/// writes and compares lines, and by the <c>piwik</c> tool, which reads them. Every kind has the same shape, so a new
/// kind needs no change here.
/// </summary>
/// <remarks>
/// In keys and values <c>\</c> escapes the next character (<c>\|</c>, <c>\\</c>, and <c>\/</c> in an event's category),
/// and <c>\n</c>/<c>\r</c> stand for line breaks. Blank lines and lines starting with <c>#</c> are not entries.
/// </remarks>
internal sealed class PlanLine
{
    /// <summary>The file the analyzer compares with the code, and the tool reads by default.</summary>
    public const string FileName = "PiwikTrackingPlan.txt";

    /// <summary>Kind of a tracked endpoint's event.</summary>
    public const string EventKind = "event";

    /// <summary>Kind of a Matomo goal made from an event.</summary>
    public const string GoalKind = "goal";

    /// <summary>What an event key says for an endpoint that uses the app's default category.</summary>
    public const string DefaultCategory = "(default)";

    private const string Separator = " | ";

    private PlanLine(string kind, string escapedKey, List<KeyValuePair<string, string>> fields, string text)
    {
        Kind = kind;
        EscapedKey = escapedKey;
        Key = Unescape(escapedKey);
        Fields = fields;
        Text = text;
    }

    /// <summary><c>event</c>, <c>goal</c>, and whatever kinds the analyzer adds.</summary>
    public string Kind { get; }

    /// <summary>What identifies the entry within its kind, unescaped (an event's <c>category/action</c>, a goal's name).</summary>
    public string Key { get; }

    /// <summary>The key as written (escapes kept): what entries are matched by, and what <see cref="SplitEventKey"/> takes.</summary>
    public string EscapedKey { get; }

    /// <summary>The named fields in file order, unescaped.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    /// <summary>The line as written in the file.</summary>
    public string Text { get; }

    /// <summary>The value of field <paramref name="name"/>, or null.</summary>
    public string? Field(string name)
    {
        foreach (var field in Fields)
        {
            if (field.Key == name)
            {
                return field.Value;
            }
        }

        return null;
    }

    /// <summary>A line from its parts; fields whose value is null or empty are left out.</summary>
    public static PlanLine Create(string kind, string escapedKey, params (string Name, string? Value)[] fields)
    {
        var text = new StringBuilder(kind).Append(' ').Append(escapedKey);
        var kept = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in fields)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            kept.Add(new KeyValuePair<string, string>(name, value!));
            text.Append(Separator).Append(name).Append(": ").Append(Escape(value!));
        }

        return new PlanLine(kind, escapedKey, kept, text.ToString());
    }

    /// <summary>The key of an event: <c>category/action</c>, a <c>/</c> in the category escaped so the pair splits back.</summary>
    public static string EventKey(string? category, string action) =>
        (category is null ? DefaultCategory : Escape(category, '/')) + "/" + Escape(action);

    /// <summary>Splits an event's escaped key back into category (null for the default) and action.</summary>
    public static (string? Category, string Action) SplitEventKey(string escapedKey)
    {
        var slash = IndexOfUnescaped(escapedKey, '/', 0);
        if (slash < 0)
        {
            return (null, Unescape(escapedKey));
        }

        var category = escapedKey.Substring(0, slash);
        return (category == DefaultCategory ? null : Unescape(category), Unescape(escapedKey.Substring(slash + 1)));
    }

    /// <summary>The entry on <paramref name="line"/>, or null for a blank line or a comment.</summary>
    public static PlanLine? Parse(string line)
    {
        var text = line.TrimEnd('\r', '\n', ' ', '\t');
        if (text.Trim().Length == 0 || text.TrimStart()[0] == '#')
        {
            return null;
        }

        var parts = SplitUnescaped(text, '|');
        var head = parts[0].Trim();
        var space = head.IndexOf(' ');
        var kind = space < 0 ? head : head.Substring(0, space);
        var key = space < 0 ? string.Empty : head.Substring(space + 1).Trim();
        var fields = new List<KeyValuePair<string, string>>();
        for (var i = 1; i < parts.Count; i++)
        {
            var part = parts[i].Trim();
            var colon = part.IndexOf(": ", StringComparison.Ordinal);
            fields.Add(colon < 0
                ? new KeyValuePair<string, string>(part, string.Empty)
                : new KeyValuePair<string, string>(part.Substring(0, colon), Unescape(part.Substring(colon + 2))));
        }

        return new PlanLine(kind, key, fields, text);
    }


    /// <summary>Escapes <c>\</c>, <c>|</c>, line breaks and the given <paramref name="also"/> characters.</summary>
    public static string Escape(string value, char also = '\0')
    {
        StringBuilder? escaped = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var replacement = c switch
            {
                '\\' => "\\\\",
                '|' => "\\|",
                '\n' => "\\n",
                '\r' => "\\r",
                _ when c == also && also != '\0' => "\\" + c,
                _ => null,
            };
            if (replacement is null)
            {
                escaped?.Append(c);
                continue;
            }

            escaped ??= new StringBuilder(value, 0, i, value.Length + 8);
            escaped.Append(replacement);
        }

        return escaped?.ToString() ?? value;
    }

    private static string Unescape(string value)
    {
        if (value.IndexOf('\\') < 0)
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
                text.Append(value[i] switch { 'n' => '\n', 'r' => '\r', var c => c });
            }
            else
            {
                text.Append(value[i]);
            }
        }

        return text.ToString();
    }

    private static int IndexOfUnescaped(string text, char c, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == c)
            {
                return i;
            }
        }

        return -1;
    }

    private static List<string> SplitUnescaped(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (int at; (at = IndexOfUnescaped(text, separator, start)) >= 0; start = at + 1)
        {
            parts.Add(text.Substring(start, at - start));
        }

        parts.Add(text.Substring(start));
        return parts;
    }
}
