using Piwik.Diagnostics;
using Piwik.Testing;
using static Piwik.Reliability.Tests.FaultInjectionTests;

namespace Piwik.Reliability.Tests;

/// <summary>The token breaker: few failed logins whatever Matomo answers, a blocked IP recognised, recovery by itself.</summary>
public class TokenBreakerTests
{
    private static async Task TrackRequestsAsync(ReliabilityApp app, int count, string prefix = "e")
    {
        // Requests: their events carry cip, so their bulk requests need the token.
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(i => app.Client.GetAsync($"/track?a={prefix}{i}")));
        foreach (var response in responses)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    [Theory]
    [InlineData(400)]
    [InlineData(500)]
    public async Task A_wrong_token_answered_with_an_error_status_costs_a_handful_of_failed_logins_and_nothing_is_dead_lettered(int status)
    {
        // bulk_requests_require_authentication: Matomo answers a wrong token 400 or 500, storing nothing.
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: WrongToken);
        matomo.WrongTokenStatus = status;
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.TokenAuth = Token;
            o.BatchSize = 4;
            o.MaxConcurrentBatches = 3;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        for (var round = 0; round < 4; round++)
        {
            await TrackRequestsAsync(app, 15, "r" + round + "e");
            await Task.Delay(50);
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 60, () => app.Accounting);
        Assert.InRange(matomo.FailedAuthentications, 1, TokenPolicyBudget);
        Assert.Equal(0, app.Metrics.DroppedFor(DropReason.Poison));
        Assert.Equal(60, app.Metrics.Sent); // sent again without the token (and without cip)
        Assert.All(matomo.Tracked, e => Assert.False(e.Has("cip")));
        Assert.True(app.Sender.TokenRejected);
        Delivered.AssertNoDuplicates(matomo);
        await app.AssertBalancedAsync();
    }

    private const int TokenPolicyBudget = 3;

    [Fact]
    public async Task A_blocked_IP_is_recognised_not_retried_as_a_server_fault_and_events_go_without_the_token()
    {
        // More than 20 failed logins within the hour (here: from the start): every bulk request with a token is answered
        // HTTP 500 {"status":"error","tracked":0,"invalid":0}, requests without one are still tracked.
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        matomo.BlockAfterFailedLogins = -1;
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.TokenAuth = Token;
            o.BatchSize = 4;
            o.MaxConcurrentBatches = 3;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        await TrackRequestsAsync(app, 40);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 40, () => app.Accounting);
        Assert.Equal(40, app.Metrics.Sent);
        Assert.Equal(0, app.Metrics.DroppedFor(DropReason.Poison));
        Assert.InRange(matomo.BlockedRequests, 1, 2);
        Assert.True(app.Sender.TokenBlocked);
        Assert.Equal(1, app.LogCount(1018));
        Assert.All(matomo.Tracked, e => Assert.False(e.Has("cip")));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task All_entries_answered_invalid_with_the_right_token_do_not_turn_it_off_for_good()
    {
        // For a while Matomo answers every entry invalid (a site being recreated, say): that looks like a refused token,
        // so the token is held; later one request tries it again, Matomo takes it, and cip comes back.
        var time = new ShiftedTime();
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        matomo.EveryRequest = () => new Fault(Body: "{\"status\":\"success\",\"tracked\":0,\"invalid\":2}", ContentType: "application/json");
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.TokenAuth = Token;
            o.BatchSize = 2;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        }, time);
        for (var i = 0; i < 2; i++)
        {
            await TrackRequestsAsync(app, 2, "invalid" + i + "e");
            await Eventually.HoldsAsync(() => app.Metrics.Accounted == 2 * (i + 1), () => app.Accounting);
        }

        Assert.True(app.Sender.TokenRejected);
        matomo.EveryRequest = null;

        time.Offset = TimeSpan.FromMinutes(25); // past the hold
        Assert.False(app.Sender.TokenRejected);
        await TrackRequestsAsync(app, 2, "later");
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 2, () => app.Accounting);
        Assert.All(matomo.Tracked, e => Assert.True(e.Has("cip"), "cip is sent again once Matomo takes the token"));
        Assert.False(app.Sender.TokenRejected);
        Assert.Equal(0, matomo.FailedAuthentications);
        await app.AssertBalancedAsync();
    }
}
