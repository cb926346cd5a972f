using Piwik.Shared.TrackingPlanFile;

namespace Piwik.Tool;

/// <summary>A planned event: category (null for the app's default), action, and whether it is a failure action.</summary>
internal sealed record PlannedEvent(string? Category, string Action, bool IsFailure);

/// <summary>A planned goal: name, the event it converts on, and whether the event value is its revenue.</summary>
internal sealed record PlannedGoal(string Name, string? Category, string Action, bool ValueIsRevenue);

/// <summary>What the tool reads from <c>PiwikTrackingPlan.txt</c>: the lines the analyzer keeps in step with the code.</summary>
internal sealed class PlanFile
{
    private PlanFile(List<PlannedEvent> events, List<PlannedGoal> goals)
    {
        Events = events;
        Goals = goals;
    }

    public IReadOnlyList<PlannedEvent> Events { get; }

    public IReadOnlyList<PlannedGoal> Goals { get; }

    public static PlanFile Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ToolException($"Cannot read the plan file '{path}': {e.Message}");
        }

        var events = new List<PlannedEvent>();
        var goals = new List<PlannedGoal>();
        foreach (var text in lines)
        {
            // Kinds the tool does not use (orders, searches, ...) are skipped: the analyzer owns the file's content.
            switch (PlanLine.Parse(text))
            {
                case { Kind: PlanLine.EventKind } line:
                    var (category, action) = PlanLine.SplitEventKey(line.EscapedKey);
                    events.Add(new PlannedEvent(category, action, false));
                    if (line.Field("failure") is { Length: > 0 } failure)
                    {
                        events.Add(new PlannedEvent(category, failure, true));
                    }

                    break;
                case { Kind: PlanLine.GoalKind } line when line.Field("action") is { Length: > 0 } goalAction:
                    var goalCategory = line.Field("category");
                    goals.Add(new PlannedGoal(line.Key, goalCategory == PlanLine.DefaultCategory ? null : goalCategory, goalAction, line.Field("revenue") == "event value"));
                    break;
            }
        }

        return new PlanFile(events, goals);
    }
}
