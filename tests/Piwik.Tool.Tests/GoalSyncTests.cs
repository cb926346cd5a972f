using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Piwik.Matomo.Tests;
using Piwik.Testing;

namespace Piwik.Tool.Tests;

/// <summary><c>piwik goals sync</c> against the real Matomo 5.1.2: what it creates, leaves alone, and what then converts.</summary>
[Collection(ToolTestGroup.Name)]
public class GoalSyncTests
{
    private const string Plan = """
        # Reviewed tracking plan
        event account/login | routes: POST /login | failure: login-failed | goal: Logins
        event account/signup | routes: POST /signup | goal: Sign-ups
        event billing/upgrade | routes: POST /upgrade | value: {amount} | goal: Upgrades
        goal Logins | category: account | action: login
        goal Sign-ups | category: account | action: signup
        goal Upgrades | category: billing | action: upgrade | revenue: event value
        """;

    [Fact]
    public async Task Sync_creates_the_goals_a_second_sync_changes_nothing_and_goals_made_by_hand_are_left_alone()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Sync_creates_the_goals_a_second_sync_changes_nothing_and_goals_made_by_hand_are_left_alone));
        // Made by hand in Matomo before the plan had it: same name, another pattern.
        await matomo.ApiAsync("Goals.addGoal", ("idSite", $"{site}"), ("name", "Logins"), ("matchAttribute", "event_category"), ("pattern", "account"), ("patternType", "exact"));
        var plan = PiwikCommand.WritePlan(Plan);

        var dryRun = await PiwikCommand.RunAsync(matomo, site, "goals", "sync", "--plan", plan, "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.True(dryRun.Stdout.Contains("+ Sign-ups: new goal", StringComparison.Ordinal), dryRun.ToString());
        Assert.Single(await GoalsAsync(matomo, site));

        var first = await PiwikCommand.RunAsync(matomo, site, "goals", "sync", "--plan", plan);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(first.Stdout.Contains("+ Sign-ups: new goal, converts on event action 'signup' (exact)", StringComparison.Ordinal), first.ToString());
        Assert.True(first.Stdout.Contains("+ Upgrades: new goal, converts on event action 'upgrade' (exact), revenue from the event value", StringComparison.Ordinal), first.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(first.Stdout, @"! Logins \(id \d+\): made in Matomo, not by piwik: left alone"), first.ToString());
        Assert.True(first.Stdout.Contains("Goals: 2 created, 0 updated, 0 unchanged, 1 left alone.", StringComparison.Ordinal), first.ToString());

        var goals = await GoalsAsync(matomo, site);
        Assert.Equal(3, goals.Count);
        Assert.Equal("event_category|account|exact", Describe(goals["Logins"]));
        Assert.Equal("event_action|signup|exact|case 1|multiple 1|revenue from value 0", Describe(goals["Sign-ups"]));
        Assert.Equal("event_action|upgrade|exact|case 1|multiple 1|revenue from value 1", Describe(goals["Upgrades"]));
        Assert.StartsWith("[piwik] ", goals["Upgrades"].GetProperty("description").GetString());

        var second = await PiwikCommand.RunAsync(matomo, site, "goals", "sync", "--plan", plan);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(second.Stdout.Contains("Goals: 0 created, 0 updated, 2 unchanged, 1 left alone.", StringComparison.Ordinal), second.ToString());
        Assert.Equal(
            string.Join("\n", goals.Select(g => g.Key + ": " + g.Value.GetRawText())),
            string.Join("\n", (await GoalsAsync(matomo, site)).Select(g => g.Key + ": " + g.Value.GetRawText())));

        // Taken over by hand (the marker deleted) and edited: left alone. Edited with the marker kept: put back.
        var signup = goals["Sign-ups"];
        await matomo.ApiAsync("Goals.updateGoal", ("idSite", $"{site}"), ("idGoal", signup.GetProperty("idgoal").ToString()), ("name", "Sign-ups"),
            ("matchAttribute", "event_action"), ("pattern", "register"), ("patternType", "exact"), ("description", "ours now"));
        var upgrades = goals["Upgrades"];
        await matomo.ApiAsync("Goals.updateGoal", ("idSite", $"{site}"), ("idGoal", upgrades.GetProperty("idgoal").ToString()), ("name", "Upgrades"),
            ("matchAttribute", "event_action"), ("pattern", "upgrade"), ("patternType", "contains"), ("description", upgrades.GetProperty("description").GetString()!));
        var third = await PiwikCommand.RunAsync(matomo, site, "goals", "sync", "--plan", plan);
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(third.Stdout, @"! Sign-ups \(id \d+\): made in Matomo, not by piwik: left alone"), third.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(third.Stdout, @"~ Upgrades \(id \d+\): pattern type 'contains' -> 'exact', case sensitive '0' -> '1'"), third.ToString());
        goals = await GoalsAsync(matomo, site);
        Assert.Equal("event_action|register|exact", Describe(goals["Sign-ups"])[..27]);
        Assert.Equal("event_action|upgrade|exact|case 1|multiple 1|revenue from value 1", Describe(goals["Upgrades"]));
    }

    [Fact]
    public async Task An_event_sent_through_the_library_converts_its_goal_with_the_event_value_as_revenue()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(An_event_sent_through_the_library_converts_its_goal_with_the_event_value_as_revenue));
        var sync = await PiwikCommand.RunAsync(matomo, site, "goals", "sync", "--plan", PiwikCommand.WritePlan(Plan));
        Assert.True(sync.ExitCode == 0, sync.ToString());
        var goals = await GoalsAsync(matomo, site);

        await using (var app = await TrackingApp.StartAsync(matomo, site, map: a =>
        {
            a.MapPost("/upgrade", [TrackAs("upgrade", Category = "billing", Value = "{amount}", Goal = "Upgrades")] (double amount) => TypedResults.NoContent());
            a.MapPost("/signup", [TrackAs("signup", Category = "account", Goal = "Sign-ups")] () => TypedResults.Created());
        }))
        {
            (await app.Client.PostAsync("/upgrade?amount=12.5", null)).EnsureSuccessStatusCode();
            (await app.Client.PostAsync("/signup", null)).EnsureSuccessStatusCode();
            await app.SettledAsync(2);
        }

        var conversions = await matomo.WaitForRowsAsync($"SELECT idgoal, revenue FROM matomo_log_conversion WHERE idsite = {site} ORDER BY idgoal", 2);
        Assert.Equal(
            [$"{goals["Sign-ups"].GetProperty("idgoal")}|0", $"{goals["Upgrades"].GetProperty("idgoal")}|12.5"],
            conversions.Select(r => r[0] + "|" + decimal.Parse(r[1]!, System.Globalization.CultureInfo.InvariantCulture).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray());
        // The events themselves are stored too: the goal converts on them, Piwik sends no idgoal.
        var events = await matomo.QueryAsync($"SELECT COUNT(*) FROM matomo_log_link_visit_action WHERE idsite = {site} AND idaction_event_action IS NOT NULL");
        Assert.Equal("2", events[0][0]);
    }

    private static async Task<Dictionary<string, JsonElement>> GoalsAsync(RealMatomo matomo, int site)
    {
        var answer = await matomo.ApiAsync("Goals.getGoals", ("idSite", $"{site}"));
        var goals = answer.ValueKind == JsonValueKind.Object ? answer.EnumerateObject().Select(p => p.Value) : answer.EnumerateArray();
        return goals.ToDictionary(g => g.GetProperty("name").GetString()!, g => g);
    }

    private static string Describe(JsonElement goal)
    {
        string Text(string name) => goal.TryGetProperty(name, out var v) ? v.ToString() : "?";
        var basic = $"{Text("match_attribute")}|{Text("pattern")}|{Text("pattern_type")}";
        return Text("description").StartsWith("[piwik]", StringComparison.Ordinal)
            ? $"{basic}|case {Text("case_sensitive")}|multiple {Text("allow_multiple")}|revenue from value {Text("event_value_as_revenue")}"
            : basic;
    }
}
