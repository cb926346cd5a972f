using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Piwik.Testing;

/// <summary>Every log line, formatted, with its category and event id: to assert what was logged, and what never was (the token).</summary>
public sealed class LogCapture : ILoggerProvider
{
    /// <summary>Every entry, in order.</summary>
    public ConcurrentQueue<(string Category, EventId Id, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    /// <summary>All entries as one text.</summary>
    public string AllText => string.Join("\n", Entries.Select(e => $"{e.Category} {e.Id} {e.Message} {e.Exception}"));

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((category, eventId, logLevel, formatter(state, exception), exception));
    }
}

/// <summary>Waits for a condition that becomes true asynchronously (a background sender's accounting), or fails naming it.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; throws a <see cref="TimeoutException"/> with <paramref name="because"/> otherwise.</summary>
    public static async Task HoldsAsync(Func<bool> condition, Func<string>? because = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Condition did not hold in time" + (because is null ? "" : ": " + because()));
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }
}
