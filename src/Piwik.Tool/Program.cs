using System.Globalization;
using Piwik.Tool;
using Piwik.Tool.Drift;
using Piwik.Tool.Goals;
using Piwik.Tool.Matomo;

// piwik goals sync --plan FILE [--dry-run]   |   piwik plan check --plan FILE [--days N] [--default-category NAME] [--json]
// Settings from the environment only: PIWIK_URL, PIWIK_SITE_ID, PIWIK_TOKEN_AUTH. Results on stdout, progress on stderr.
const string Usage = """
    Usage:
      piwik goals sync --plan FILE [--dry-run]
          Makes the Matomo goals of the plan file: creates the missing, updates those piwik made that changed,
          never deletes or edits a goal made by hand. Prints what it does (+ new, ~ updated, = unchanged, ! left alone).
      piwik plan check --plan FILE [--days N] [--default-category NAME] [--json]
          Counts, per planned event, what Matomo recorded in the last N days (default 7); lists planned events never
          recorded and recorded events the plan does not have. Exit code 1 when there is drift.

    Settings (environment only):
      PIWIK_URL          Matomo's base URL, e.g. https://matomo.example.com/
      PIWIK_SITE_ID      the site id
      PIWIK_TOKEN_AUTH   a token_auth; goals sync needs write or admin access to the site, plan check view access

    Exit codes: 0 done (no drift), 1 drift found, 2 wrong usage or settings, 3 Matomo refused, failed or was unreachable.
    """;

if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
{
    Console.Out.WriteLine(Usage);
    return args.Length == 0 ? ToolException.Usage : 0;
}

try
{
    var command = string.Join(' ', args.TakeWhile(static a => !a.StartsWith('-')));
    var options = Options.Parse(args.SkipWhile(static a => !a.StartsWith('-')).ToArray());
    if (command is not ("goals sync" or "plan check"))
    {
        throw new ToolException($"Unknown command '{command}'.\n{Usage}");
    }

    var plan = PlanFile.Read(options.Value("--plan") ?? throw new ToolException("--plan FILE is required: the project's PiwikTrackingPlan.txt."));
    var settings = Settings.FromEnvironment(Environment.GetEnvironmentVariable);
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
    var api = new MatomoApi(http, settings);
    if (command == "goals sync")
    {
        options.Only("--plan", "--dry-run");
        return await new GoalSync(api, settings, Console.Out, Console.Error).RunAsync(plan, options.Flag("--dry-run"), CancellationToken.None);
    }

    options.Only("--plan", "--days", "--default-category", "--json");
    var days = options.Value("--days") is { } d
        ? int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 3650 ? n : throw new ToolException($"--days must be a whole number from 1 to 3650 (got '{d}').")
        : 7;
    return await new PlanCheck(api, settings, Console.Out, Console.Error).RunAsync(plan, days, options.Value("--default-category") ?? "api", options.Flag("--json"), CancellationToken.None);
}
catch (ToolException e)
{
    Console.Error.WriteLine("piwik: " + e.Message);
    return e.ExitCode;
}
