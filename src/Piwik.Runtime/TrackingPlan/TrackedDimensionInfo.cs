using System.ComponentModel;
using System.Globalization;

namespace Piwik;

/// <summary>
/// One <see cref="TrackDimensionAttribute"/> of a tracking-plan row (<see cref="TrackedEndpointInfo.Dimensions"/>): a
/// custom dimension the endpoint sets on the hits it records.
/// </summary>
public sealed class TrackedDimensionInfo
{
    /// <summary>Creates a dimension of a row. Called by the runtime when it reads the generated plan.</summary>
    /// <param name="id">The dimension's id in Matomo.</param>
    /// <param name="valueTemplate">The value template as written.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TrackedDimensionInfo(int id, string valueTemplate)
    {
        ArgumentNullException.ThrowIfNull(valueTemplate);
        Id = id;
        ValueTemplate = valueTemplate;
    }

    /// <summary>The dimension's id in Matomo (<see cref="TrackDimensionAttribute.Id"/>): the hits carry <c>dimension{Id}</c>.</summary>
    public int Id { get; }

    /// <summary>The value template as written (<see cref="TrackDimensionAttribute.Value"/>), such as <c>{request.Plan}</c>.</summary>
    public string ValueTemplate { get; }

    /// <summary>The dimension as the plan prints it: <c>dimension 3 {request.Plan}</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "dimension " + Id.ToString(CultureInfo.InvariantCulture) + " " + ValueTemplate;
}
