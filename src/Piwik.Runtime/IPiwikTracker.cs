using Microsoft.AspNetCore.Http;

namespace Piwik;

/// <summary>
/// Records Matomo hits from code that is not a tracked endpoint: a background job, a webhook, a branch inside a
/// handler. Hits go through the same queue, privacy rules and sender as endpoint events. Every method returns at once,
/// never throws and never waits on the network.
/// </summary>
/// <remarks>
/// <para>
/// The methods that take an <see cref="HttpContext"/> record a hit of that request: its URL and visitor are used, and
/// Do-Not-Track, Global Privacy Control and the consent rule apply. The others record a hit with no request: the visitor
/// is the <c>userId</c> when given (hashed like request user ids), else the application itself; the URL is
/// <see cref="PiwikOptions.ApplicationUrl"/>.
/// </para>
/// <para>
/// <c>dimensions</c> gives the hit custom dimension values of its own (<see cref="PiwikDimension"/>), beside and over
/// the app-wide <c>Piwik:CustomDimensions</c>. An id not greater than 0 makes the call return <c>false</c>.
/// </para>
/// <para>
/// Every method returns <c>true</c> when the hit was queued; <c>false</c> when tracking is off, the visitor opted out, a
/// required argument is missing, or the queue is full. Amounts, counts and quantities that are negative are still
/// queued, then dropped by the sender (reason <c>invalid_number</c>) and never sent.
/// </para>
/// </remarks>
public interface IPiwikTracker
{
    /// <summary>Records an event that belongs to an HTTP request.</summary>
    /// <param name="context">The request.</param>
    /// <param name="category">Event category (<c>e_c</c>), not empty.</param>
    /// <param name="action">Event action (<c>e_a</c>), not empty.</param>
    /// <param name="name">Optional event name (<c>e_n</c>).</param>
    /// <param name="value">Optional event value (<c>e_v</c>).</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the event was queued.</returns>
    bool TrackEvent(HttpContext context, string category, string action, string? name = null, double? value = null, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>Records an event with no HTTP request.</summary>
    /// <param name="category">Event category (<c>e_c</c>), not empty.</param>
    /// <param name="action">Event action (<c>e_a</c>), not empty.</param>
    /// <param name="name">Optional event name (<c>e_n</c>).</param>
    /// <param name="value">Optional event value (<c>e_v</c>).</param>
    /// <param name="userId">Optional id of the user the event is about.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the event was queued.</returns>
    bool TrackEvent(string category, string action, string? name = null, double? value = null, string? userId = null, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>Records a page view of an HTTP request (<c>action_name</c>), for Matomo's page reports.</summary>
    /// <param name="context">The request.</param>
    /// <param name="title">The page title, not empty; <c>/</c> builds a hierarchy in Matomo's reports.</param>
    /// <param name="serverTime">Optional time the server took to answer (<c>pf_srv</c>, in whole milliseconds), not negative.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the page view was queued.</returns>
    bool TrackPageView(HttpContext context, string title, TimeSpan? serverTime = null, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>
    /// Records a site search of an HTTP request. Matomo stores it only when the site's site-search setting is on.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="keyword">What was searched for (<c>search</c>), not empty.</param>
    /// <param name="category">Optional search category (<c>search_cat</c>).</param>
    /// <param name="resultCount">Optional number of results (<c>search_count</c>); Matomo reports searches with none.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the search was queued.</returns>
    bool TrackSearch(HttpContext context, string keyword, string? category = null, int? resultCount = null, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>
    /// Records a conversion of a goal defined in Matomo (<c>idgoal</c>), for example a manually triggered goal. A goal
    /// converts once per visit unless it allows multiple conversions.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="goalId">The goal's id in Matomo, greater than 0.</param>
    /// <param name="revenue">Optional revenue (<c>revenue</c>); without it Matomo uses the goal's default revenue.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the conversion was queued.</returns>
    bool TrackGoal(HttpContext context, int goalId, decimal? revenue = null, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>Records a goal conversion with no HTTP request (a payment confirmed by a webhook, say).</summary>
    /// <param name="goalId">The goal's id in Matomo, greater than 0.</param>
    /// <param name="revenue">Optional revenue (<c>revenue</c>).</param>
    /// <param name="userId">Optional id of the user who converted.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the conversion was queued.</returns>
    bool TrackGoal(int goalId, decimal? revenue = null, string? userId = null, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>
    /// Records an ecommerce order of an HTTP request. Matomo stores it only on a site with ecommerce on, and once per
    /// order id.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="order">The order: an id and the revenue at least.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the order was queued.</returns>
    bool TrackOrder(HttpContext context, PiwikOrder order, IReadOnlyList<PiwikDimension>? dimensions = null);

    /// <summary>Records an ecommerce order with no HTTP request (an order confirmed by a webhook, say).</summary>
    /// <param name="order">The order: an id and the revenue at least.</param>
    /// <param name="userId">Optional id of the user who ordered.</param>
    /// <param name="dimensions">Optional custom dimensions of this hit.</param>
    /// <returns><c>true</c> when the order was queued.</returns>
    bool TrackOrder(PiwikOrder order, string? userId = null, IReadOnlyList<PiwikDimension>? dimensions = null);
}
