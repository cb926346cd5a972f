namespace Piwik.Tool;

/// <summary>A failure the tool reports as one clear line on stderr, with its exit code (never with the token).</summary>
internal sealed class ToolException : Exception
{
    /// <summary>Wrong arguments, a missing setting or an unreadable plan file.</summary>
    public const int Usage = 2;

    /// <summary>Matomo refused the token, the token lacks rights, or Matomo could not be reached or answered an error.</summary>
    public const int Matomo = 3;

    public ToolException()
        : this(Usage, "error")
    {
    }

    public ToolException(string message)
        : this(Usage, message)
    {
    }

    public ToolException(string message, Exception innerException)
        : base(message, innerException) => ExitCode = Usage;

    public ToolException(int exitCode, string message)
        : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}
