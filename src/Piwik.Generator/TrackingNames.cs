namespace Piwik.Generator;

/// <summary>Names of the generator's pipeline steps, for <c>WithTrackingName</c> and the incrementality tests.</summary>
internal static class TrackingNames
{
    /// <summary>Each <c>[TrackAs]</c> handler parsed into a model (null when it cannot be described).</summary>
    public const string Handlers = "TrackAsHandlers";

    /// <summary>The handlers that have a model.</summary>
    public const string ValidHandlers = "TrackAsValidHandlers";

    /// <summary>All handlers of the compilation, in source order, for the one generated file.</summary>
    public const string AllHandlers = "TrackAsAllHandlers";
}
