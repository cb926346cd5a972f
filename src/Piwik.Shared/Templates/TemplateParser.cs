using System.Collections.Generic;
using System.Text;

namespace Piwik.Shared;

/// <summary>
/// Parses the <c>Name</c> and <c>Value</c> templates of <c>[TrackAs]</c>: literal text and <c>{root.Member.Member}</c>
/// placeholders, with <c>{{</c> and <c>}}</c> for literal braces. Pure string work, no Roslyn types, so the generator
/// (which binds placeholders) and the analyzer (which reports what cannot be bound) parse the same way.
/// </summary>
internal static class TemplateParser
{
    /// <summary>Parses a template. Never throws; an invalid template has <see cref="ParsedTemplate.IsValid"/> false.</summary>
    /// <param name="template">The template as written in the attribute.</param>
    public static ParsedTemplate Parse(string template)
    {
        var segments = new List<TemplateSegment>();
        var literal = new StringBuilder();
        var literalStart = 0;
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i += 2;
                continue;
            }

            if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}')
                {
                    literal.Append('}');
                    i += 2;
                    continue;
                }

                return ParsedTemplate.Invalid(template, TemplateError.UnbalancedCloseBrace, i, 1);
            }

            if (c != '{')
            {
                literal.Append(c);
                i++;
                continue;
            }

            var close = template.IndexOf('}', i + 1);
            var nextOpen = template.IndexOf('{', i + 1);
            if (close < 0 || (nextOpen >= 0 && nextOpen < close))
            {
                return ParsedTemplate.Invalid(template, TemplateError.UnbalancedOpenBrace, i, 1);
            }

            var length = close - i + 1;
            var inner = template.Substring(i + 1, close - i - 1);
            if (inner.Length == 0)
            {
                return ParsedTemplate.Invalid(template, TemplateError.EmptyPlaceholder, i, length);
            }

            var path = inner.Split('.');
            foreach (var part in path)
            {
                if (!IsIdentifier(part))
                {
                    return ParsedTemplate.Invalid(template, TemplateError.InvalidIdentifier, i, length);
                }
            }

            if (literal.Length > 0)
            {
                segments.Add(TemplateSegment.Literal(literal.ToString(), literalStart, i - literalStart));
                literal.Clear();
            }

            segments.Add(TemplateSegment.Placeholder(path, i, length));
            i = close + 1;
            literalStart = i;
        }

        if (literal.Length > 0)
        {
            segments.Add(TemplateSegment.Literal(literal.ToString(), literalStart, template.Length - literalStart));
        }

        return new ParsedTemplate(template, segments, TemplateError.None, 0, 0);
    }

    /// <summary>A C# identifier as it can appear in a member path: a letter or <c>_</c>, then letters, digits or <c>_</c>.
    /// A leading <c>@</c> (verbatim identifier) is accepted and kept; binding strips it.</summary>
    private static bool IsIdentifier(string text)
    {
        var start = text.Length > 0 && text[0] == '@' ? 1 : 0;
        if (text.Length == start)
        {
            return false;
        }

        var first = text[start];
        if (!(first == '_' || char.IsLetter(first)))
        {
            return false;
        }

        for (var k = start + 1; k < text.Length; k++)
        {
            var c = text[k];
            if (!(c == '_' || char.IsLetterOrDigit(c)))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Why a template is invalid.</summary>
internal enum TemplateError
{
    /// <summary>The template is valid.</summary>
    None,

    /// <summary>A <c>{</c> without its <c>}</c> (or another <c>{</c> before it). Use <c>{{</c> for a literal brace.</summary>
    UnbalancedOpenBrace,

    /// <summary>A <c>}</c> without a <c>{</c>. Use <c>}}</c> for a literal brace.</summary>
    UnbalancedCloseBrace,

    /// <summary><c>{}</c>.</summary>
    EmptyPlaceholder,

    /// <summary>A placeholder whose path is not dot-separated identifiers, for example <c>{a..b}</c> or <c>{ x }</c>.</summary>
    InvalidIdentifier,
}

/// <summary>Whether a segment is literal text or a placeholder.</summary>
internal enum TemplateSegmentKind
{
    /// <summary>Literal text (braces already unescaped).</summary>
    Literal,

    /// <summary>A <c>{root.Member}</c> placeholder.</summary>
    Placeholder,
}

/// <summary>One piece of a template.</summary>
internal sealed class TemplateSegment
{
    private TemplateSegment(TemplateSegmentKind kind, string text, string[] path, int start, int length)
    {
        Kind = kind;
        Text = text;
        Path = path;
        Start = start;
        Length = length;
    }

    /// <summary>Literal text or placeholder.</summary>
    public TemplateSegmentKind Kind { get; }

    /// <summary>For a literal: its text with <c>{{</c>/<c>}}</c> unescaped. For a placeholder: the path as written, without braces.</summary>
    public string Text { get; }

    /// <summary>For a placeholder: <c>Path[0]</c> is the root (a route or handler parameter name), the rest are member names. Empty for a literal.</summary>
    public string[] Path { get; }

    /// <summary>Where the segment starts in the template string (for a placeholder: at its <c>{</c>).</summary>
    public int Start { get; }

    /// <summary>The segment's length in the template string (for a placeholder: braces included).</summary>
    public int Length { get; }

    /// <summary>Whether this is a placeholder.</summary>
    public bool IsPlaceholder => Kind == TemplateSegmentKind.Placeholder;

    internal static TemplateSegment Literal(string text, int start, int length) =>
        new(TemplateSegmentKind.Literal, text, System.Array.Empty<string>(), start, length);

    internal static TemplateSegment Placeholder(string[] path, int start, int length) =>
        new(TemplateSegmentKind.Placeholder, string.Join(".", path), path, start, length);
}

/// <summary>A parsed template: its segments in order, or the first error found.</summary>
internal sealed class ParsedTemplate
{
    internal ParsedTemplate(string template, IReadOnlyList<TemplateSegment> segments, TemplateError error, int errorStart, int errorLength)
    {
        Template = template;
        Segments = segments;
        Error = error;
        ErrorStart = errorStart;
        ErrorLength = errorLength;
    }

    /// <summary>The template as written.</summary>
    public string Template { get; }

    /// <summary>The segments in order; empty when the template is invalid.</summary>
    public IReadOnlyList<TemplateSegment> Segments { get; }

    /// <summary>Whether the template parsed.</summary>
    public bool IsValid => Error == TemplateError.None;

    /// <summary>The first error, or <see cref="TemplateError.None"/>.</summary>
    public TemplateError Error { get; }

    /// <summary>Where the error is in the template string.</summary>
    public int ErrorStart { get; }

    /// <summary>The length of the erroneous text (the whole placeholder when there is one).</summary>
    public int ErrorLength { get; }

    /// <summary>Whether the template is exactly one placeholder (the value can then be captured without building a string).</summary>
    public bool IsSinglePlaceholder => Segments.Count == 1 && Segments[0].IsPlaceholder;

    /// <summary>The placeholders, in order.</summary>
    public IEnumerable<TemplateSegment> Placeholders
    {
        get
        {
            foreach (var segment in Segments)
            {
                if (segment.IsPlaceholder)
                {
                    yield return segment;
                }
            }
        }
    }

    internal static ParsedTemplate Invalid(string template, TemplateError error, int start, int length) =>
        new(template, System.Array.Empty<TemplateSegment>(), error, start, length);
}
