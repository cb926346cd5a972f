using System.Text.Json;
using Piwik.Matomo.Tests;
using Piwik.Testing;

namespace Piwik.Tool.Tests;

/// <summary><c>piwik plan check</c> against the real Matomo 5.1.2, with events sent through the library.</summary>
[Collection(ToolTestGroup.Name)]
public class PlanCheckTests
{
    [Fact]
    public async Task Check_reports_a_planned_action_never_sent_and_a_sent_action_not_in_the_plan()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Check_reports_a_planned_action_never_sent_and_a_sent_action_not_in_the_plan));
        var plan = PiwikCommand.WritePlan("""
            event account/login | routes: POST /login | failure: login-failed
            event account/signup | routes: POST /signup
            event (default)/ping | routes: GET /ping
            """);
        await using (var app = await TrackingApp.StartAsync(matomo, site))
        {
            foreach (var query in new[] { "c=account&a=signup", "c=account&a=signup", "c=account&a=sign-up", "c=api&a=ping" })
            {
                (await app.Client.GetAsync("/track?" + query)).EnsureSuccessStatusCode();
            }

            await app.SettledAsync(4);
        }

        var table = await PiwikCommand.RunAsync(matomo, site, "plan", "check", "--plan", plan, "--days", "2");
        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(table.Stdout, @"account/signup\s+success\s+2\n"), table.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(table.Stdout, @"api/ping\s+success\s+1\n"), table.ToString());
        Assert.True(table.Stdout.Contains("Planned, never recorded: 1\n  account/login\n", StringComparison.Ordinal), table.ToString());
        Assert.True(table.Stdout.Contains("Recorded, not in the plan: 1\n  account/sign-up  (1)\n", StringComparison.Ordinal), table.ToString());
        Assert.True(table.Stderr.Contains("Reading the events of site", StringComparison.Ordinal), table.ToString());

        var json = await PiwikCommand.RunAsync(matomo, site, "plan", "check", "--plan", plan, "--json");
        Assert.True(json.ExitCode == 1, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.True(root.GetProperty("drift").GetBoolean());
        Assert.Equal("account/login", string.Join(",", root.GetProperty("neverRecorded").EnumerateArray().Select(e => e.GetProperty("category").GetString() + "/" + e.GetProperty("action").GetString())));
        Assert.Equal("account/sign-up:1", string.Join(",", root.GetProperty("notPlanned").EnumerateArray().Select(e => e.GetProperty("category").GetString() + "/" + e.GetProperty("action").GetString() + ":" + e.GetProperty("recorded").GetInt64())));

        // The plan completed: no drift, exit 0 (the failure action never hit is not drift).
        var complete = PiwikCommand.WritePlan(File.ReadAllText(plan) + "\nevent account/sign-up | routes: POST /v1/signup\n");
        var noDrift = await PiwikCommand.RunAsync(matomo, site, "plan", "check", "--plan", complete);
        Assert.True(noDrift.ExitCode == 1, noDrift.ToString()); // account/login is still never recorded
        Assert.True(noDrift.Stdout.Contains("Recorded, not in the plan: 0\n", StringComparison.Ordinal), noDrift.ToString());
    }
}
