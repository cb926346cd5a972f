using System.ComponentModel;

namespace Piwik;

/// <summary>
/// The <see cref="TrackSearchAttribute"/> of a tracking-plan row (<see cref="TrackedEndpointInfo.Search"/>): the site
/// search the endpoint records when it succeeds, as templates written in the attribute.
/// </summary>
public sealed class TrackedSearchInfo
{
    /// <summary>Creates the search's part of a row. Called by the runtime when it reads the generated plan.</summary>
    /// <param name="keyword">The <see cref="TrackSearchAttribute.Keyword"/> template, or <c>null</c>.</param>
    /// <param name="category">The <see cref="TrackSearchAttribute.Category"/> template, or <c>null</c>.</param>
    /// <param name="count">The <see cref="TrackSearchAttribute.Count"/> template, or <c>null</c>.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TrackedSearchInfo(string? keyword, string? category, string? count)
    {
        Keyword = keyword;
        Category = category;
        Count = count;
    }

    /// <summary>The keyword template (<c>search</c>), such as <c>{q}</c>. Only null in code the analyzer rejects (PIWIK017).</summary>
    public string? Keyword { get; }

    /// <summary>The search category template (<c>search_cat</c>), or <c>null</c>.</summary>
    public string? Category { get; }

    /// <summary>The result count template (<c>search_count</c>), such as <c>{result.Count}</c>, or <c>null</c>.</summary>
    public string? Count { get; }

    /// <summary>The search as the plan prints it: <c>search {q}</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "search " + Keyword;
}
