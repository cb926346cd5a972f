using Microsoft.AspNetCore.Http;

namespace Piwik;

/// <summary>
/// Records Matomo events from code that is not a tracked endpoint: a background job, a webhook, a branch inside a
/// handler. Events go through the same queue, privacy rules and sender as endpoint events. Every method returns at
/// once, never throws and never waits on the network.
/// </summary>
public interface IPiwikTracker
{
    /// <summary>Records an event that belongs to an HTTP request: its URL, visitor and privacy headers are used.</summary>
    /// <param name="context">The request. Do-Not-Track, Global Privacy Control and the consent rule apply.</param>
    /// <param name="category">Event category (<c>e_c</c>), not empty.</param>
    /// <param name="action">Event action (<c>e_a</c>), not empty.</param>
    /// <param name="name">Optional event name (<c>e_n</c>).</param>
    /// <param name="value">Optional event value (<c>e_v</c>).</param>
    /// <returns><c>true</c> when the event was queued; <c>false</c> when tracking is off, the visitor opted out, the
    /// arguments are empty, or the queue is full.</returns>
    bool TrackEvent(HttpContext context, string category, string action, string? name = null, double? value = null);

    /// <summary>
    /// Records an event with no HTTP request. The visitor is <paramref name="userId"/> when given (hashed like request
    /// user ids), else the application itself; the URL is <see cref="PiwikOptions.ApplicationUrl"/>.
    /// </summary>
    /// <param name="category">Event category (<c>e_c</c>), not empty.</param>
    /// <param name="action">Event action (<c>e_a</c>), not empty.</param>
    /// <param name="name">Optional event name (<c>e_n</c>).</param>
    /// <param name="value">Optional event value (<c>e_v</c>).</param>
    /// <param name="userId">Optional id of the user the event is about.</param>
    /// <returns><c>true</c> when the event was queued.</returns>
    bool TrackEvent(string category, string action, string? name = null, double? value = null, string? userId = null);
}
