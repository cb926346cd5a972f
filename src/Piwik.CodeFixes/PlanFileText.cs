using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Piwik.Shared;
using Piwik.Shared.TrackingPlanFile;

namespace Piwik.CodeFixes;

/// <summary>
/// Rewrites <c>PiwikTrackingPlan.txt</c> for PIWIK030-PIWIK032: each diagnostic puts its entry's line in (replacing the
/// lines of the same kind and key) or takes a line out. Comments stay at the top; entries come out sorted by kind and key,
/// so the file reads the same whoever updated it.
/// </summary>
internal static class PlanFileText
{
    /// <summary>The new text of the file after applying every fix in <paramref name="diagnostics"/>.</summary>
    public static SourceText Apply(SourceText? text, IEnumerable<Diagnostic> diagnostics)
    {
        var newline = "\n";
        var comments = new List<string>();
        var entries = new List<PlanLine>();
        if (text is not null)
        {
            foreach (var textLine in text.Lines)
            {
                var raw = textLine.ToString();
                if (PlanLine.Parse(raw) is { } line)
                {
                    entries.Add(line);
                }
                else if (raw.Trim().Length > 0)
                {
                    comments.Add(raw.TrimEnd());
                }

                if (text.ToString(textLine.SpanIncludingLineBreak).EndsWith("\r\n", StringComparison.Ordinal))
                {
                    newline = "\r\n";
                }
            }
        }

        foreach (var diagnostic in diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DiagnosticIds.PlanKindKey, out var kind) || kind is null
                || !diagnostic.Properties.TryGetValue(DiagnosticIds.PlanKeyKey, out var key) || key is null)
            {
                continue;
            }

            if (diagnostic.Properties.TryGetValue(DiagnosticIds.PlanLineKey, out var newLine) && newLine is not null)
            {
                // Added or changed in code: the code's line replaces every line of that entry.
                entries.RemoveAll(e => e.Kind == kind && e.EscapedKey == key);
                entries.Add(PlanLine.Parse(newLine)!);
            }
            else
            {
                // Gone from the code (or listed twice): one line of that entry goes.
                var index = entries.FindIndex(e => e.Kind == kind && e.EscapedKey == key);
                if (index >= 0)
                {
                    entries.RemoveAt(index);
                }
            }
        }

        var result = new StringBuilder();
        foreach (var comment in comments)
        {
            result.Append(comment).Append(newline);
        }

        foreach (var entry in entries.OrderBy(e => e.Kind, StringComparer.Ordinal).ThenBy(e => e.EscapedKey, StringComparer.Ordinal))
        {
            result.Append(entry.Text).Append(newline);
        }

        return text is null
            ? SourceText.From(result.ToString(), Encoding.UTF8)
            : text.WithChanges(new TextChange(new TextSpan(0, text.Length), result.ToString()));
    }

    /// <summary>The project's plan file, or null.</summary>
    public static TextDocument? Find(Project project) =>
        project.AdditionalDocuments.FirstOrDefault(d => string.Equals(d.Name, PlanLine.FileName, StringComparison.OrdinalIgnoreCase));
}
