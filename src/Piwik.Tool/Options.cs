namespace Piwik.Tool;

/// <summary>The few options of the two commands: <c>--name value</c> and bare flags. Small enough not to need a library.</summary>
internal sealed class Options
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--dry-run", "--json" };

    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ToolException($"Unexpected argument '{name}'.");
            }

            if (name is "--token" or "--token-auth" or "--token_auth")
            {
                throw new ToolException("The token is read from PIWIK_TOKEN_AUTH only, never from an argument (arguments end up in shell history and process lists).");
            }

            if (Flags.Contains(name))
            {
                options._values[name] = null;
            }
            else if (i + 1 < args.Length)
            {
                options._values[name] = args[++i];
            }
            else
            {
                throw new ToolException($"{name} needs a value.");
            }
        }

        return options;
    }

    public string? Value(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public bool Flag(string name) => _values.ContainsKey(name);

    /// <summary>Refuses options the command does not have.</summary>
    public void Only(params string[] allowed)
    {
        foreach (var name in _values.Keys)
        {
            if (Array.IndexOf(allowed, name) < 0)
            {
                throw new ToolException($"Unknown option '{name}' for this command.");
            }
        }
    }
}
