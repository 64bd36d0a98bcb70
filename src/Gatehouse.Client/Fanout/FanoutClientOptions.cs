using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// How a <see cref="FanoutClient"/> identifies itself, whom it trusts, and how hard it tries.
/// Immutable; every value has a documented default except <see cref="Identity"/>.
/// </summary>
public sealed record FanoutClientOptions
{
    /// <summary>Default <see cref="MaxFanout"/>: 64, like ClusterShell's <c>clush -f</c>.</summary>
    public const int DefaultMaxFanout = 64;

    /// <summary>Hard cap on <see cref="MaxFanout"/>.</summary>
    public const int MaxFanoutLimit = 4096;

    /// <summary>This client's identity (certificate and key), presented to every node. Required.</summary>
    public required PeerIdentity Identity { get; init; }

    /// <summary>
    /// Fingerprints for nodes whose <see cref="FanoutNode.Pin"/> is null (for example
    /// <see cref="ClientOptions.PinFrom"/> over a known-hosts file). Default: none, so such nodes fail
    /// with <see cref="NodeFailure.NotTrusted"/>.
    /// </summary>
    public Func<Endpoint, Fingerprint?> Pins { get; init; } = static _ => null;

    /// <summary>
    /// Connect timeout, inactivity timeout, default deadline, maximum retries and backoff, applied to
    /// every node. Default <see cref="ConnectionOptions.Default"/> (1 s, 5 min, none, 5, 100 ms..3 min).
    /// </summary>
    public ConnectionOptions Connection { get; init; } = ConnectionOptions.Default;

    /// <summary>
    /// How many node attempts may be in progress at once (connecting or running); the rest wait.
    /// A node waiting out a retry backoff does not hold a slot. Default 64; 1..<see cref="MaxFanoutLimit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1..<see cref="MaxFanoutLimit"/>.</exception>
    public int MaxFanout
    {
        get;
        init => field = value is >= 1 and <= MaxFanoutLimit
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxFanout), value, $"MaxFanout must be 1..{MaxFanoutLimit}");
    } = DefaultMaxFanout;

    /// <summary>
    /// Deadline for a call whose <see cref="CallRequest.Deadline"/> is null. Default null, which falls
    /// back to <see cref="ConnectionOptions.CallDeadline"/> (itself none by default).
    /// </summary>
    public TimeSpan? CallDeadline { get; init; }

    /// <summary>Protocol limits announced to every node. Default <c>new MuxOptions()</c>.</summary>
    public MuxOptions Mux { get; init; } = new();

    /// <summary>Clock for retry backoff and <see cref="NodeResult.Elapsed"/>. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
