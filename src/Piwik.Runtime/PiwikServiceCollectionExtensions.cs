using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik;
using Piwik.Capture;
using Piwik.Configuration;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Piwik tracking in an <see cref="IServiceCollection"/>.</summary>
public static class PiwikServiceCollectionExtensions
{
    /// <summary>
    /// Adds Piwik tracking with options bound from a configuration section, usually <c>builder.Configuration.GetSection("Piwik")</c>.
    /// Options are validated at start-up; a wrong value fails the start with a message naming its key.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The <c>Piwik</c> configuration section.</param>
    /// <returns>The builder of the <see cref="HttpClient"/> that talks to Matomo, to add handlers, a proxy or resilience.</returns>
    public static IHttpClientBuilder AddPiwikTracking(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PiwikOptions>().Bind(configuration);

        // The binder ignores keys no option has: a mistyped one is warned about at start-up (1004).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UnknownKeysWarning>(
            sp => new UnknownKeysWarning(configuration, sp.GetRequiredService<ILogger<UnknownKeysWarning>>())));
        return AddCore(services);
    }

    /// <summary>Adds Piwik tracking configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder of the <see cref="HttpClient"/> that talks to Matomo.</returns>
    public static IHttpClientBuilder AddPiwikTracking(this IServiceCollection services, Action<PiwikOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PiwikOptions>().Configure(configure);
        return AddCore(services);
    }

    private static IHttpClientBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<PiwikOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<PiwikOptions>, SpoolSwitch>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PiwikOptions>, PiwikOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PiwikOptions>, PiwikOptionsRules>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PiwikMetrics>();
        services.TryAddSingleton<EventQueue>();
        services.TryAddSingleton<RequestRecorder>();
        services.TryAddSingleton<IPiwikTracker, PiwikTracker>();
        services.AddPiwikEndpointTracking();
        services.TryAddSingleton<LogBulkTransport>();
        services.TryAddSingleton<IBulkTransport>(sp => sp.GetRequiredService<IOptions<PiwikOptions>>().Value.Url is null
            ? sp.GetRequiredService<LogBulkTransport>()
            : new HttpBulkTransport(sp));
        services.TryAddSingleton<PiwikSender>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PiwikSender>(sp => sp.GetRequiredService<PiwikSender>()));
        // The Matomo client takes none of the app's ConfigureHttpClientDefaults (Aspire's service defaults add a
        // resilience handler and service discovery to every client): the sender's retries are the only ones, since a
        // second retry layer multiplies requests and duplicates. Handlers added through the builder returned here are
        // kept: they are added after the defaults are cleared. Its own primary handler carries no traceparent unless
        // Piwik:TraceMatomoRequests, and without the client factory's loggers (four Information lines per request).
        // One primary handler for the process: it renews its connections itself (PooledConnectionLifetime, so DNS
        // changes are seen), and the factory's rotation would add an expiry timer every 2 minutes and a cleanup timer
        // every 10 seconds until a GC collects the old handler, which an idle app may never run (idle wake-ups).
        return services.AddHttpClient<MatomoClient>(static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static sp => MatomoClient.CreateHandler(sp.GetRequiredService<IOptions<PiwikOptions>>().Value))
            .ConfigureAdditionalHttpMessageHandlers(static (handlers, _) => handlers.Clear())
            .RemoveAllLoggers();
    }
}
