namespace Gatehouse.Gateway.Pipeline.Locators;

/// <summary>
/// How a gateway asks locator services (services that registered <c>@locate</c> in a domain) where
/// a request's key lives, and how long it keeps their answers.
/// </summary>
public sealed record LocatorOptions
{
    /// <summary>The defaults below.</summary>
    public static LocatorOptions Default { get; } = new();

    /// <summary>How long one question to a locator may take (less when the request's own deadline is nearer). Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an answer is kept when the locator gives no TTL. Default 60 s.</summary>
    public TimeSpan DefaultTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a failed question (no answer in time, an error, a malformed answer) is remembered,
    /// so a broken locator is not asked again by every request for the key. Default 5 s.
    /// </summary>
    public TimeSpan FailureTtl { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most answers kept, all domains together (the oldest go first past it). Default 10,000.</summary>
    public int MaxCacheEntries { get; init; } = 10_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value out of its range.</summary>
    public LocatorOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Timeout, TimeSpan.FromMilliseconds(10), "Locators.Timeout");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Timeout, TimeSpan.FromMinutes(5), "Locators.Timeout");
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultTtl, TimeSpan.Zero, "Locators.DefaultTtl");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DefaultTtl, Protocol.LocatorAnswer.MaxTtl, "Locators.DefaultTtl");
        ArgumentOutOfRangeException.ThrowIfLessThan(FailureTtl, TimeSpan.Zero, "Locators.FailureTtl");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FailureTtl, TimeSpan.FromHours(1), "Locators.FailureTtl");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCacheEntries, 0, "Locators.MaxCacheEntries");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxCacheEntries, 10_000_000, "Locators.MaxCacheEntries");
        return this;
    }
}
