namespace Piwik;

/// <summary>
/// A custom dimension value for one hit (<c>dimension{Id}</c>): the dimension with this id, configured in Matomo with a
/// visit or action scope, takes <see cref="Value"/> (at most 250 characters are kept). It replaces, for that hit, a value
/// the application sets for every hit with <c>Piwik:CustomDimensions:{Id}</c>.
/// </summary>
/// <param name="Id">The dimension's id in Matomo, greater than 0.</param>
/// <param name="Value">The value; <c>null</c> or empty sends nothing for this dimension.</param>
public readonly record struct PiwikDimension(int Id, string? Value);
