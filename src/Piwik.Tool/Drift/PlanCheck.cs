using System.Globalization;
using System.Net;
using System.Text.Json;
using Piwik.Tool.Matomo;

namespace Piwik.Tool.Drift;

/// <summary>
/// <c>piwik plan check</c>: per planned event, how many Matomo recorded in the last days; then the planned events never
/// recorded and the recorded events the plan does not have. Reads Matomo's event report (category, then action) per day,
/// after invalidating today's, which Matomo otherwise reuses for up to 900 s.
/// </summary>
internal sealed class PlanCheck(MatomoApi api, Settings settings, TextWriter output, TextWriter progress)
{
    private const string Access = "reading reports needs view access to the site";

    public async Task<int> RunAsync(PlanFile plan, int days, string defaultCategory, bool json, CancellationToken cancellationToken)
    {
        var site = settings.SiteId.ToString(CultureInfo.InvariantCulture);
        await InvalidateTodayAsync(site, cancellationToken).ConfigureAwait(false);

        progress.WriteLine($"Reading the events of site {settings.SiteId} for the last {days} day(s) from {settings.ApiUrl}");
        var report = await api.CallAsync("Events.getCategory", Access, cancellationToken,
            ("idSite", site), ("period", "day"), ("date", "last" + days.ToString(CultureInfo.InvariantCulture)),
            ("secondaryDimension", "eventAction"), ("expanded", "1"), ("flat", "0"), ("filter_limit", "-1")).ConfigureAwait(false);
        var recorded = Count(report);

        var rows = new List<Row>();
        var seen = new HashSet<(string, string)>();
        foreach (var planned in plan.Events)
        {
            var key = (planned.Category ?? defaultCategory, planned.Action);
            if (seen.Add(key))
            {
                rows.Add(new Row(key.Item1, key.Item2, planned.IsFailure, recorded.GetValueOrDefault(key)));
            }
        }

        // A failure action nobody hit is not drift: it counts failures, and there may have been none.
        var neverRecorded = rows.Where(static r => r.Recorded == 0 && !r.IsFailure).ToList();
        var notPlanned = recorded.Where(p => !seen.Contains(p.Key)).OrderBy(static p => p.Key.Item1, StringComparer.Ordinal).ThenBy(static p => p.Key.Item2, StringComparer.Ordinal).ToList();
        var drift = neverRecorded.Count > 0 || notPlanned.Count > 0;

        if (json)
        {
            WriteJson(rows, neverRecorded, notPlanned, days, drift);
        }
        else
        {
            WriteTable(rows, neverRecorded, notPlanned, days);
        }

        return drift ? 1 : 0;
    }

    private async Task InvalidateTodayAsync(string site, CancellationToken cancellationToken)
    {
        try
        {
            await api.CallAsync("CoreAdminHome.invalidateArchivedReports", "invalidating reports needs admin access", cancellationToken,
                ("idSites", site), ("dates", DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("period", "day")).ConfigureAwait(false);
        }
        catch (ToolException e) when (e.Message.Contains("lacks access", StringComparison.Ordinal))
        {
            progress.WriteLine("Note: the token cannot invalidate reports (that needs admin access): today's counts may be up to 15 minutes old.");
        }
    }

    /// <summary>Events per (category, action), summed over the days of the answer (<c>{"2026-12-06": [rows], ...}</c>).</summary>
    private static Dictionary<(string, string), long> Count(JsonElement report)
    {
        var counts = new Dictionary<(string, string), long>();
        var days = report.ValueKind == JsonValueKind.Object ? report.EnumerateObject().Select(static d => d.Value) : [report];
        foreach (var day in days.Where(static d => d.ValueKind == JsonValueKind.Array))
        {
            foreach (var category in day.EnumerateArray())
            {
                if (!category.TryGetProperty("subtable", out var actions) || actions.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                var categoryName = Label(category);
                foreach (var action in actions.EnumerateArray())
                {
                    var key = (categoryName, Label(action));
                    counts[key] = counts.GetValueOrDefault(key) + Events(action);
                }
            }
        }

        return counts;
    }

    // Matomo keeps event texts HTML-escaped.
    private static string Label(JsonElement row) => WebUtility.HtmlDecode(row.GetProperty("label").GetString() ?? string.Empty);

    private static long Events(JsonElement row) => row.TryGetProperty("nb_events", out var n)
        ? n.ValueKind == JsonValueKind.Number ? n.GetInt64() : long.Parse(n.GetString() ?? "0", CultureInfo.InvariantCulture)
        : 0;

    private void WriteTable(List<Row> rows, List<Row> neverRecorded, List<KeyValuePair<(string, string), long>> notPlanned, int days)
    {
        var width = Math.Max(5, rows.Select(static r => r.Category.Length + r.Action.Length + 1).Concat(notPlanned.Select(static p => p.Key.Item1.Length + p.Key.Item2.Length + 1)).DefaultIfEmpty(0).Max());
        output.WriteLine($"{"event".PadRight(width)}  {"kind",-8}  recorded (last {days} day{(days == 1 ? string.Empty : "s")})");
        foreach (var row in rows)
        {
            output.WriteLine($"{(row.Category + "/" + row.Action).PadRight(width)}  {(row.IsFailure ? "failure" : "success"),-8}  {row.Recorded.ToString(CultureInfo.InvariantCulture)}");
        }

        output.WriteLine();
        output.WriteLine($"Planned, never recorded: {neverRecorded.Count}");
        foreach (var row in neverRecorded)
        {
            output.WriteLine($"  {row.Category}/{row.Action}");
        }

        output.WriteLine($"Recorded, not in the plan: {notPlanned.Count}");
        foreach (var pair in notPlanned)
        {
            output.WriteLine($"  {pair.Key.Item1}/{pair.Key.Item2}  ({pair.Value.ToString(CultureInfo.InvariantCulture)})");
        }
    }

    private void WriteJson(List<Row> rows, List<Row> neverRecorded, List<KeyValuePair<(string, string), long>> notPlanned, int days, bool drift)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("siteId", settings.SiteId);
            writer.WriteNumber("days", days);
            writer.WriteBoolean("drift", drift);
            writer.WriteStartArray("planned");
            foreach (var row in rows)
            {
                writer.WriteStartObject();
                writer.WriteString("category", row.Category);
                writer.WriteString("action", row.Action);
                writer.WriteString("kind", row.IsFailure ? "failure" : "success");
                writer.WriteNumber("recorded", row.Recorded);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("neverRecorded");
            foreach (var row in neverRecorded)
            {
                writer.WriteStartObject();
                writer.WriteString("category", row.Category);
                writer.WriteString("action", row.Action);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("notPlanned");
            foreach (var pair in notPlanned)
            {
                writer.WriteStartObject();
                writer.WriteString("category", pair.Key.Item1);
                writer.WriteString("action", pair.Key.Item2);
                writer.WriteNumber("recorded", pair.Value);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private sealed record Row(string Category, string Action, bool IsFailure, long Recorded);
}
