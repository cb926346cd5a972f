using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// Added to the metadata of every endpoint Piwik attached to: for a <see cref="TrackAsAttribute"/> handler, the
/// descriptor used and whether the endpoint filter was really built into the request delegate; for a page-view
/// endpoint, its title. The start-up check looks for it to find tracked endpoints that were missed.
/// </summary>
internal sealed class TrackingEndpointMetadata
{
    private TrackingEndpointMetadata(TrackedHandler? handler, string? pageTitle)
    {
        Handler = handler;
        PageTitle = pageTitle;
    }

    /// <summary>The descriptor of a <see cref="TrackAsAttribute"/> endpoint, or null for a page-view endpoint.</summary>
    public TrackedHandler? Handler { get; }

    /// <summary>The page title of a page-view endpoint (<c>GET /groups/{groupId}</c>), or null.</summary>
    public string? PageTitle { get; }

    /// <summary>
    /// Whether tracking is part of the endpoint's request delegate: the finally convention wrapped the delegate (see
    /// <see cref="TrackedRequestDelegate"/> and <see cref="FilteredRequestDelegate"/>) and, when the handler needs the
    /// filter, ASP.NET Core called its factory. A data source that ignores filter factories or conventions would leave
    /// it false.
    /// </summary>
    public bool FilterAttached { get; private set; }

    /// <summary>Whether ASP.NET Core built <see cref="TrackedEndpointFilter"/> into the endpoint's delegate.</summary>
    public bool FilterBuilt { get; private set; }

    /// <summary>How the endpoint is tracked without a filter, when it is (see <see cref="TrackedRequestDelegate"/>).</summary>
    public TrackedRequestDelegate.Plan? Unfiltered { get; set; }

    /// <summary>What the endpoint records with its filter (see <see cref="FilteredRequestDelegate"/>), when it has one.</summary>
    public IEndpointRecording? Filtered { get; set; }

    /// <summary>Whether this is an endpoint Piwik records events or hits for (not a page view).</summary>
    public bool IsTracked => Handler is not null || Filtered is not null;

    public static TrackingEndpointMetadata ForEvent(TrackedHandler handler) => new(handler, null);

    /// <summary>An endpoint with order, search or dimension attributes (and its <see cref="TrackAsAttribute"/> descriptor, if it has one).</summary>
    public static TrackingEndpointMetadata ForHits(TrackedHandler? handler, IEndpointRecording recording) => new(handler, null) { Filtered = recording };

    public static TrackingEndpointMetadata ForPageView(string title) => new(null, title) { FilterAttached = true };

    public void MarkFilterBuilt() => FilterBuilt = true;

    public void MarkWrapped() => FilterAttached = true;
}
