using Microsoft.AspNetCore.Builder;

namespace Piwik;

/// <summary>
/// Excludes endpoints from tracking without annotating each handler: a whole <c>MapGroup</c> or a single endpoint.
/// </summary>
public static class TrackingExclusionExtensions
{
    /// <summary>
    /// Marks every endpoint built by <paramref name="builder"/> as deliberately not tracked, by adding
    /// <see cref="DoNotTrackAttribute"/> to its metadata. On a <c>MapGroup</c> builder it covers every endpoint of the
    /// group and of its nested groups, including endpoints mapped before this call. A handler that carries
    /// <see cref="TrackAsAttribute"/> stays tracked: the attribute on the handler is the more specific decision. The
    /// Piwik analyzer understands this call and reports no PIWIK001 for these endpoints.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type, returned unchanged so that calls can be chained.</typeparam>
    /// <param name="builder">A route group builder or the builder of a single endpoint.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <example><code>var internalApi = app.MapGroup("/internal").ExcludeFromTracking();</code></example>
    public static TBuilder ExcludeFromTracking<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        // One shared instance: the attribute carries no state, and metadata is read by type.
        var metadata = DoNotTrackMetadata.Instance;
        builder.Add(endpoint => endpoint.Metadata.Add(metadata));
        return builder;
    }

    private static class DoNotTrackMetadata
    {
        internal static readonly DoNotTrackAttribute Instance = new();
    }
}
