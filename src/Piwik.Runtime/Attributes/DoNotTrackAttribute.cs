namespace Piwik;

/// <summary>
/// Marks a minimal-API handler as deliberately not tracked (health checks, metrics, internal endpoints).
/// It silences the untracked-route diagnostic (PIWIK001) and keeps the endpoint out of the optional
/// page-view tracking of untracked routes.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DoNotTrackAttribute : Attribute
{
}
