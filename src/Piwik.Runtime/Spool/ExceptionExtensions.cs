namespace Piwik.Spool;

/// <summary>Rethrows an exception caught earlier with its original stack trace.</summary>
internal static class ExceptionExtensions
{
    public static void Rethrow(this Exception exception) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
}
