using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Endpoints;

namespace Piwik.Generator.Tests;

/// <summary>The parts of the wiring that lean on ASP.NET Core internals: these tests fail loudly if they change.</summary>
public sealed class WiringTests
{
    [Fact]
    public void Minimal_api_data_sources_still_have_the_type_names_UsePiwikTracking_wraps()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddPiwikTracking(_ => { });
        using var app = builder.Build();
        var endpoints = (IEndpointRouteBuilder)app;
        app.MapGet("/a", () => "a");
        app.MapGroup("/g").MapGet("/b", () => "b");

        Assert.Equal(
            [TrackingEndpointDataSource.RouteHandlerSourceTypeName, TrackingEndpointDataSource.GroupSourceTypeName],
            endpoints.DataSources.Select(s => s.GetType().FullName));

        app.UsePiwikTracking();
        Assert.All(endpoints.DataSources, s => Assert.IsType<TrackingEndpointDataSource>(s));
    }

    [Fact]
    public void Tracked_endpoints_get_tracking_untracked_ones_nothing_and_missed_ones_are_reported()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddPiwikTracking(_ => { });
        using var app = builder.Build();
        app.MapGet("/tracked/{id}", [TrackAs("t", Name = "{id}", FailureAction = "t-failed")] (string id) => id);
        app.MapGroup("/g").MapGet("/in-group", [TrackAs("g")] () => "g");
        app.MapGet("/untracked", () => "u");
        app.UsePiwikTracking();
        var sources = ((IEndpointRouteBuilder)app).DataSources;
        var all = sources.SelectMany(s => s.Endpoints).ToDictionary(e => ((RouteEndpoint)e).RoutePattern.RawText!);

        // Tracking is part of the request delegate (the marker says so) on [TrackAs] endpoints, in and out of groups,
        // and nowhere else: the filter where a failure action or a template needs the handler to have run, a wrapped
        // delegate where nothing does.
        Assert.True(all["/tracked/{id}"].Metadata.GetMetadata<TrackingEndpointMetadata>()!.FilterAttached);
        Assert.IsNotType<TrackedRequestDelegate>(all["/tracked/{id}"].RequestDelegate!.Target);
        Assert.True(all["/g/in-group"].Metadata.GetMetadata<TrackingEndpointMetadata>()!.FilterAttached);
        Assert.IsType<TrackedRequestDelegate>(all["/g/in-group"].RequestDelegate!.Target);
        Assert.Null(all["/untracked"].Metadata.GetMetadata<TrackingEndpointMetadata>());

        // A [TrackAs] endpoint built from an unwrapped source is named by the start-up check.
        var tracking = app.Services.GetRequiredService<EndpointTracking>();
        var unwrapped = ((TrackingEndpointDataSource)sources.First()).Inner.Endpoints;
        Assert.Equal(1, tracking.WarnAboutMissedEndpoints(unwrapped));
        Assert.Equal(0, tracking.WarnAboutMissedEndpoints(all.Values));
    }
}
