using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Piwik.Shared;
using Piwik.Shared.TrackingPlanFile;

namespace Piwik.Generator.Analyzers.Plan;

/// <summary>
/// PIWIK030-PIWIK032: compares the code's plan entries with the project's <c>PiwikTrackingPlan.txt</c>, as the public-API
/// analyzers compare the code with <c>PublicAPI.*.txt</c>. Entries match by kind and key; a matched entry must have the
/// same line. Runs once per compilation, at its end, and only when the file is there.
/// </summary>
internal static class PlanFileComparison
{
    /// <summary>The project's plan file among the additional files, or null (then nothing is compared).</summary>
    public static AdditionalText? Find(ImmutableArray<AdditionalText> files)
    {
        foreach (var file in files)
        {
            if (string.Equals(Path.GetFileName(file.Path), PlanLine.FileName, StringComparison.OrdinalIgnoreCase))
            {
                return file;
            }
        }

        return null;
    }

    public static void Report(AdditionalText file, Dictionary<(string Kind, string Key), CodeEntry> code, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        if (file.GetText(cancellationToken) is not { } text)
        {
            return;
        }

        var listed = new HashSet<(string, string)>();
        foreach (var textLine in text.Lines)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (PlanLine.Parse(textLine.ToString()) is not { } line)
            {
                continue;
            }

            var key = (line.Kind, line.EscapedKey);
            if (!listed.Add(key) || !code.TryGetValue(key, out var entry))
            {
                // Gone from the code, or listed twice: either way this line goes.
                var span = TextSpan.FromBounds(textLine.Start, textLine.Start + line.Text.Length);
                report(Diagnostic.Create(
                    DiagnosticDescriptors.PlanEntryNotInCode,
                    Location.Create(file.Path, span, text.Lines.GetLinePositionSpan(span)),
                    Properties(line.Kind, line.EscapedKey, null),
                    Describe(line)));
            }
            else if (entry.Line.Text != line.Text)
            {
                report(Diagnostic.Create(
                    DiagnosticDescriptors.PlanEntryChanged,
                    entry.Location,
                    Properties(line.Kind, line.EscapedKey, entry.Line.Text),
                    Describe(line),
                    entry.Line.Text,
                    line.Text));
            }
        }

        foreach (var pair in code)
        {
            if (!listed.Contains(pair.Key))
            {
                var line = pair.Value.Line;
                report(Diagnostic.Create(
                    DiagnosticDescriptors.PlanEntryNotInFile,
                    pair.Value.Location,
                    Properties(line.Kind, line.EscapedKey, line.Text),
                    Describe(line),
                    line.Text));
            }
        }
    }

    private static string Describe(PlanLine line) => line.Kind + " " + line.Key;

    private static ImmutableDictionary<string, string?> Properties(string kind, string key, string? line)
    {
        var properties = ImmutableDictionary<string, string?>.Empty.Add(DiagnosticIds.PlanKindKey, kind).Add(DiagnosticIds.PlanKeyKey, key);
        return line is null ? properties : properties.Add(DiagnosticIds.PlanLineKey, line);
    }
}
