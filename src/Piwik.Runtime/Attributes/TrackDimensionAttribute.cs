namespace Piwik;

/// <summary>
/// Sets a custom dimension on the hits this handler records (its <see cref="TrackAsAttribute"/> event, its
/// <see cref="TrackOrderAttribute"/> order and its <see cref="TrackSearchAttribute"/> search), over the app-wide value of
/// <c>Piwik:CustomDimensions:{id}</c>. Repeatable, one per dimension.
/// </summary>
/// <example><code>app.MapPost("/billing/upgrade", [TrackAs("upgrade")] [TrackDimension(3, "{request.Plan}")] (UpgradeRequest request) => ...);</code></example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class TrackDimensionAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="id">The dimension's id in Matomo, greater than 0.</param>
    /// <param name="value">The value: a template, as in <see cref="TrackAsAttribute.Name"/>; at most 250 characters are kept.</param>
    public TrackDimensionAttribute(int id, string value)
    {
        Id = id;
        Value = value;
    }

    /// <summary>The dimension's id in Matomo.</summary>
    public int Id { get; }

    /// <summary>The value template.</summary>
    public string Value { get; }
}
