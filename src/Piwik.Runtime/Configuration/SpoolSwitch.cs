using Microsoft.Extensions.Options;

namespace Piwik.Configuration;

/// <summary>
/// An empty <see cref="PiwikOptions.SpoolDirectory"/> turns the spool off: an environment variable
/// (<c>Piwik__SpoolDirectory=</c>) can then override a directory from <c>appsettings.json</c>, which unset cannot do.
/// Runs after binding and before validation, so nothing downstream sees an empty path.
/// </summary>
internal sealed class SpoolSwitch : IPostConfigureOptions<PiwikOptions>
{
    public void PostConfigure(string? name, PiwikOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            options.SpoolDirectory = null;
        }
    }
}
