using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>
/// Every test here talks to the one real Matomo of the run (<see cref="RealMatomo.SharedAsync"/>). Tests run one at a
/// time: a 2-core CI machine runs Matomo's PHP workers and MariaDB beside the tests, and parallel senders would only
/// make each test's wait longer. Each test still uses a site of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MatomoTestGroup
{
    public const string Name = "real Matomo";
}
