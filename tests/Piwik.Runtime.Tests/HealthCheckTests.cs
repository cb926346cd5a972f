using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

public class HealthCheckTests
{
    private const string Token = "0123456789abcdef0123456789abcdef";

    private static async Task<HealthStatus> CheckAsync(TestApp app) =>
        (await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["piwik"].Status;

    [Fact]
    public async Task Healthy_when_matomo_accepts_events()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(20); }, services: s => s.AddHealthChecks().AddPiwik());
        app.Tracker.TrackEvent("c", "a");
        await matomo.WaitForTrackedAsync(1, TimeSpan.FromSeconds(10));
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 1);
        Assert.Equal(HealthStatus.Healthy, await CheckAsync(app));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Degraded_when_matomo_keeps_failing()
    {
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = "http://127.0.0.1:9/"; // connection refused
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        }, services: s => s.AddHealthChecks().AddPiwik());
        Assert.Equal(HealthStatus.Healthy, await CheckAsync(app));
        app.Tracker.TrackEvent("c", "a");
        await Eventually.HoldsAsync(() => app.Metrics.Retries >= 1);
        Assert.Equal(HealthStatus.Degraded, await CheckAsync(app));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Degraded_when_the_backlog_grows_past_the_threshold()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(Delay: TimeSpan.FromSeconds(3)));
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.QueueCapacity = 10;
            o.BatchSize = 1;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromMilliseconds(10);
        }, services: s => s.AddHealthChecks().AddPiwik(backlogDegradedRatio: 0.5));
        app.Tracker.TrackEvent("c", "slow");
        await matomo.WaitForCallsAsync(1, TimeSpan.FromSeconds(10)); // the sender is now stuck on the slow answer
        for (var i = 0; i < 10; i++)
        {
            app.Tracker.TrackEvent("c", "backlog" + i);
        }

        await Eventually.HoldsAsync(() => app.App.Services.GetRequiredService<Piwik.Capture.EventQueue>().Count > 5);
        Assert.Equal(HealthStatus.Degraded, await CheckAsync(app));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Unhealthy_when_matomo_refuses_the_token()
    {
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        matomo.EnqueueFault(new Fault(StatusCode: 401));
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.TokenAuth = Token;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
        }, services: s => s.AddHealthChecks().AddPiwik());
        // A request's event carries cip, so its bulk request carries the token (a detached event needs none).
        (await app.Client.GetAsync("/track?a=a")).EnsureSuccessStatusCode();
        await matomo.WaitForTrackedAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(HealthStatus.Unhealthy, await CheckAsync(app));
        // The sender marks the token refused, then logs it: wait for the warning rather than race it.
        await Eventually.HoldsAsync(() => app.Logs.Entries.Any(e => e.Id.Id == 1012), () => app.Logs.AllText);
        Assert.Single(app.Logs.Entries, e => e.Id.Id == 1012);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Degraded_naming_the_answer_when_the_url_answers_a_page_that_is_not_matomo()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EveryRequest = () => new Fault(Body: "<html><body>Please log in</body></html>", ContentType: "text/html");
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        }, services: s => s.AddHealthChecks().AddPiwik());
        app.Tracker.TrackEvent("c", "a");
        await Eventually.HoldsAsync(() => app.Metrics.Retries >= 1, () => $"sent {app.Metrics.Sent}");
        var report = (await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["piwik"];
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Contains("not Matomo's bulk answer", report.Description, StringComparison.Ordinal);
        Assert.Equal(0, app.Metrics.Sent);
        matomo.EveryRequest = null;
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 1);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task The_first_check_reports_failures_since_start()
    {
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = "http://127.0.0.1:9/"; // connection refused
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        }, services: s => s.AddHealthChecks().AddPiwik());
        app.Tracker.TrackEvent("c", "a");
        await Eventually.HoldsAsync(() => app.Metrics.Retries >= 1);
        Assert.Equal(HealthStatus.Degraded, await CheckAsync(app)); // the first call, not a second one
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Capture_failures_are_not_reported_as_matomo_failing()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(20); }, services: s => s.AddHealthChecks().AddPiwik());
        Assert.Equal(HealthStatus.Healthy, await CheckAsync(app));
        var recorder = app.App.Services.GetRequiredService<Piwik.Capture.RequestRecorder>();
        Assert.False(recorder.TryRecord(SenderTests.BrokenContext(), Piwik.Capture.TrackedEventKind.Event, "c", "a", default, default));
        var report = (await app.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["piwik"];
        Assert.DoesNotContain("Matomo", report.Description ?? "", StringComparison.Ordinal);
        Assert.Contains("could not be captured", report.Description ?? "", StringComparison.Ordinal);
        await app.AssertBalancedAsync();
    }
}
