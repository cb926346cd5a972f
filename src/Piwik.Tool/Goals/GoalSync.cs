using System.Globalization;
using System.Text.Json;
using Piwik.Tool.Matomo;

namespace Piwik.Tool.Goals;

/// <summary>
/// <c>piwik goals sync</c>: makes the site's goals match the plan's. Creates the missing ones, updates the ones it made
/// that changed, and never deletes or edits a goal it did not make. A goal is the tool's when its description starts
/// with <see cref="Marker"/>; deleting the marker in Matomo hands the goal over to whoever edits it there.
/// </summary>
internal sealed class GoalSync(MatomoApi api, Settings settings, TextWriter output, TextWriter progress)
{
    public const string Marker = "[piwik]";

    private const string Access = "goal management needs write or admin access to the site";

    private static readonly string Description =
        Marker + " Made by `piwik goals sync` from PiwikTrackingPlan.txt: change the plan, not this goal. Delete \"" + Marker + "\" here to manage it by hand.";

    public async Task<int> RunAsync(PlanFile plan, bool dryRun, CancellationToken cancellationToken)
    {
        progress.WriteLine($"Reading the goals of site {settings.SiteId} from {settings.ApiUrl}");
        var existing = (await api.CallAsync("Goals.getGoals", Access, cancellationToken, ("idSite", Site)).ConfigureAwait(false)) switch
        {
            { ValueKind: JsonValueKind.Object } goals => goals.EnumerateObject().Select(static p => p.Value).ToList(),
            { ValueKind: JsonValueKind.Array } goals => goals.EnumerateArray().ToList(),
            _ => new List<JsonElement>(),
        };

        int created = 0, updated = 0, unchanged = 0, leftAlone = 0;
        var planned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var goal in plan.Goals)
        {
            planned.Add(goal.Name);
            var wanted = Parameters(goal);
            var sameName = existing.Where(g => Text(g, "name") == goal.Name).ToList();
            var owned = sameName.FirstOrDefault(IsOwned);
            if (owned.ValueKind == JsonValueKind.Undefined && sameName.Count > 0)
            {
                // Made by hand: the team decided on it in Matomo. A second goal of the same name would count twice.
                output.WriteLine($"! {goal.Name} (id {Text(sameName[0], "idgoal")}): made in Matomo, not by piwik: left alone");
                leftAlone++;
                continue;
            }

            if (owned.ValueKind == JsonValueKind.Undefined)
            {
                output.WriteLine($"+ {goal.Name}: new goal, {Describe(goal)}");
                if (!dryRun)
                {
                    var id = await api.CallAsync("Goals.addGoal", Access, cancellationToken, [("idSite", Site), .. wanted]).ConfigureAwait(false);
                    progress.WriteLine($"Created goal '{goal.Name}' (id {Text(id, "value")})");
                }

                created++;
                continue;
            }

            var changes = Changes(owned, goal);
            if (changes.Count == 0)
            {
                output.WriteLine($"= {goal.Name} (id {Text(owned, "idgoal")}): up to date");
                unchanged++;
                continue;
            }

            output.WriteLine($"~ {goal.Name} (id {Text(owned, "idgoal")}): {string.Join(", ", changes)}");
            if (!dryRun)
            {
                await api.CallAsync("Goals.updateGoal", Access, cancellationToken, [("idSite", Site), ("idGoal", Text(owned, "idgoal")), .. wanted]).ConfigureAwait(false);
            }

            updated++;
        }

        foreach (var orphan in existing.Where(g => IsOwned(g) && !planned.Contains(Text(g, "name"))))
        {
            output.WriteLine($"- {Text(orphan, "name")} (id {Text(orphan, "idgoal")}): no longer in the plan: kept in Matomo (delete it there if it is not wanted)");
        }

        output.WriteLine($"Goals: {created} created, {updated} updated, {unchanged} unchanged, {leftAlone} left alone.{(dryRun ? " Dry run: nothing was changed." : string.Empty)}");
        return 0;
    }

    private string Site => settings.SiteId.ToString(CultureInfo.InvariantCulture);

    private static bool IsOwned(JsonElement goal) => Text(goal, "description").StartsWith(Marker, StringComparison.Ordinal);

    /// <summary>
    /// The goal as the plan wants it: the event action, exactly and case-sensitively (Piwik sends actions as written);
    /// converted on every such event (a server-side event is a real action, and counting each keeps goals and events
    /// equal); the event value as revenue where the plan says so.
    /// </summary>
    private static (string, string)[] Parameters(PlannedGoal goal) =>
    [
        // Matomo url-decodes name, pattern and description once more after the form decoding: encode them once more.
        ("name", Uri.EscapeDataString(goal.Name)),
        ("matchAttribute", "event_action"),
        ("pattern", Uri.EscapeDataString(goal.Action)),
        ("patternType", "exact"),
        ("caseSensitive", "1"),
        ("revenue", "0"),
        ("allowMultipleConversionsPerVisit", "1"),
        ("description", Uri.EscapeDataString(Description)),
        ("useEventValueAsRevenue", goal.ValueIsRevenue ? "1" : "0"),
    ];

    private static List<string> Changes(JsonElement existing, PlannedGoal goal)
    {
        var changes = new List<string>();
        Compare("match", Text(existing, "match_attribute"), "event_action");
        Compare("pattern", Text(existing, "pattern"), goal.Action);
        Compare("pattern type", Text(existing, "pattern_type"), "exact");
        Compare("case sensitive", Flag(existing, "case_sensitive"), "1");
        Compare("multiple conversions per visit", Flag(existing, "allow_multiple"), "1");
        Compare("revenue from the event value", Flag(existing, "event_value_as_revenue"), goal.ValueIsRevenue ? "1" : "0");
        Compare("description", Text(existing, "description"), Description);
        return changes;

        void Compare(string what, string actual, string wanted)
        {
            if (actual != wanted)
            {
                changes.Add(what == "description" ? "description" : $"{what} '{actual}' -> '{wanted}'");
            }
        }
    }

    private static string Describe(PlannedGoal goal) =>
        $"converts on event action '{goal.Action}' (exact){(goal.ValueIsRevenue ? ", revenue from the event value" : string.Empty)}";

    private static string Flag(JsonElement goal, string name) => Text(goal, name) switch { "" or "0" or "false" => "0", _ => "1" };

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? string.Empty,
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True => "1",
                JsonValueKind.False => "0",
                _ => string.Empty,
            }
            : string.Empty;
}
