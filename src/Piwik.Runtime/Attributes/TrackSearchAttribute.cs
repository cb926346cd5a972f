namespace Piwik;

/// <summary>
/// Records a site search each time the handler succeeds (2xx), beside its <see cref="TrackAsAttribute"/> event if it has
/// one. Matomo stores searches only on a site with site search on.
/// </summary>
/// <remarks>
/// Every property is a template, as in <see cref="TrackAsAttribute.Name"/>. A request whose keyword is empty records no
/// search. <see cref="Count"/> must bind to a number.
/// </remarks>
/// <example><code>app.MapGet("/groups/search", [TrackSearch(Keyword = "{q}", Category = "groups")] (string q) => ...);</code></example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TrackSearchAttribute : Attribute
{
    /// <summary>What was searched for (<c>search</c>): a template. Required.</summary>
    public string? Keyword { get; set; }

    /// <summary>The search category (<c>search_cat</c>): a template; optional.</summary>
    public string? Category { get; set; }

    /// <summary>The number of results (<c>search_count</c>): a template that binds to a number; optional.</summary>
    public string? Count { get; set; }
}
