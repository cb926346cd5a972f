using Piwik.Testing;

namespace Piwik.Tool.Tests;

/// <summary>How the tool fails: a refused token, a token without rights, an unreachable Matomo, a token as an argument.</summary>
[Collection(ToolTestGroup.Name)]
public class FailureTests
{
    private const string Plan = "event account/signup | routes: POST /signup | goal: Sign-ups\ngoal Sign-ups | category: account | action: signup\n";

    [Fact]
    public async Task A_refused_token_exits_non_zero_with_a_clear_message_and_never_prints_the_token()
    {
        var matomo = await RealMatomo.SharedAsync();
        var wrong = "0123456789abcdef" + Guid.NewGuid().ToString("N")[..16];
        try
        {
            foreach (var command in new[] { new[] { "goals", "sync" }, new[] { "plan", "check" } })
            {
                var result = await PiwikCommand.RunAsync(
                    new() { ["PIWIK_URL"] = matomo.Url, ["PIWIK_SITE_ID"] = "1", ["PIWIK_TOKEN_AUTH"] = wrong },
                    [.. command, "--plan", PiwikCommand.WritePlan(Plan)]);
                Assert.True(result.ExitCode == 3, result.ToString());
                Assert.True(result.Stderr.Contains("Matomo refused the token in PIWIK_TOKEN_AUTH (HTTP 401)", StringComparison.Ordinal), result.ToString());
                Assert.DoesNotContain(wrong, result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
            }
        }
        finally
        {
            await matomo.ClearFailedLoginsAsync();
        }
    }

    [Fact]
    public async Task A_token_with_view_access_only_cannot_sync_goals_and_is_told_why()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_token_with_view_access_only_cannot_sync_goals_and_is_told_why));
        var login = "viewer" + Guid.NewGuid().ToString("N")[..8];
        const string password = "a-viewer-password-1";
        await matomo.ApiAsync("UsersManager.addUser", ("userLogin", login), ("password", password), ("email", login + "@example.com"), ("passwordConfirmation", "unused"));
        await matomo.ApiAsync("UsersManager.setUserAccess", ("userLogin", login), ("access", "view"), ("idSites", $"{site}"), ("passwordConfirmation", "unused"));
        var token = (await matomo.ApiAsync("UsersManager.createAppSpecificTokenAuth", ("userLogin", login), ("passwordConfirmation", password), ("description", "view only"))).GetProperty("value").GetString()!;

        var result = await PiwikCommand.RunAsync(
            new() { ["PIWIK_URL"] = matomo.Url, ["PIWIK_SITE_ID"] = $"{site}", ["PIWIK_TOKEN_AUTH"] = token },
            "goals", "sync", "--plan", PiwikCommand.WritePlan(Plan));
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.True(result.Stderr.Contains($"The user of PIWIK_TOKEN_AUTH lacks access to site {site}: goal management needs write or admin access to the site", StringComparison.Ordinal), result.ToString());
        Assert.DoesNotContain(token, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_Matomo_and_a_token_passed_as_an_argument_are_refused()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var plan = PiwikCommand.WritePlan(Plan);
        var environment = new Dictionary<string, string> { ["PIWIK_URL"] = $"http://127.0.0.1:{port}/", ["PIWIK_SITE_ID"] = "1", ["PIWIK_TOKEN_AUTH"] = "0123456789abcdef0123456789abcdef" };

        var unreachable = await PiwikCommand.RunAsync(environment, "goals", "sync", "--plan", plan);
        Assert.True(unreachable.ExitCode == 3, unreachable.ToString());
        Assert.True(unreachable.Stderr.Contains($"Cannot reach Matomo at http://127.0.0.1:{port}/index.php", StringComparison.Ordinal), unreachable.ToString());

        var asArgument = await PiwikCommand.RunAsync(environment, "goals", "sync", "--plan", plan, "--token-auth", "0123456789abcdef0123456789abcdef");
        Assert.True(asArgument.ExitCode == 2, asArgument.ToString());
        Assert.True(asArgument.Stderr.Contains("read from PIWIK_TOKEN_AUTH only", StringComparison.Ordinal), asArgument.ToString());

        environment.Remove("PIWIK_TOKEN_AUTH");
        var missing = await PiwikCommand.RunAsync(environment, "goals", "sync", "--plan", plan);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.True(missing.Stderr.Contains("PIWIK_TOKEN_AUTH is not set", StringComparison.Ordinal), missing.ToString());
    }
}
