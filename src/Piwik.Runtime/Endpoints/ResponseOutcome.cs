namespace Piwik.Endpoints;

/// <summary>What a tracked endpoint's final status calls for: its action, its failure action, or nothing.</summary>
internal static class ResponseOutcome
{
    /// <summary>
    /// Whether the endpoint succeeded: a 2xx answer, or a 3xx one when its <see cref="TrackAsAttribute.RedirectIsSuccess"/>
    /// says a redirect is how it answers a success (a form posted, then redirected: Post/Redirect/Get).
    /// </summary>
    public static bool IsSuccess(int status, bool redirectIsSuccess) =>
        status is >= 200 and < 300 || (redirectIsSuccess && status is >= 300 and < 400);

    /// <summary>Whether the endpoint refused the request (4xx): its failure action, if it has one.</summary>
    public static bool IsFailure(int status) => status is >= 400 and < 500;
}
