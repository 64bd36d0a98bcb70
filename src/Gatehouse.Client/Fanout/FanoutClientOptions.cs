using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// How a <see cref="FanoutClient"/> identifies itself, whom it trusts, and how hard it tries.
/// Immutable; every value has a documented default except <see cref="Identity"/>, and is checked
/// when it is set (<see cref="ArgumentNullException"/> or <see cref="ArgumentOutOfRangeException"/>
/// naming the option).
/// </summary>
public sealed record FanoutClientOptions
{
    /// <summary>Default <see cref="MaxFanout"/>: 64, like ClusterShell's <c>clush -f</c>.</summary>
    public const int DefaultMaxFanout = 64;

    /// <summary>Hard cap on <see cref="MaxFanout"/>.</summary>
    public const int MaxFanoutLimit = 4096;

    /// <summary>This client's identity (certificate and key), presented to every node. Required.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public required PeerIdentity Identity
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Identity));
    }

    /// <summary>
    /// Fingerprints for nodes whose <see cref="FanoutNode.Pin"/> is null (for example
    /// <see cref="ClientOptions.PinFrom"/> over a known-hosts file). Default: none, so such nodes fail
    /// with <see cref="NodeFailure.NotTrusted"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public Func<Endpoint, Fingerprint?> Pins
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Pins));
    } = static _ => null;

    /// <summary>
    /// Connect timeout, inactivity timeout, default call deadline (<see cref="ConnectionOptions.CallDeadline"/>,
    /// used when <see cref="CallRequest.Deadline"/> is null), maximum retries and backoff, applied to
    /// every node. Default <see cref="ConnectionOptions.Default"/> (1 s, 5 min, none, 5, 100 ms..3 min).
    /// Checked against <see cref="ConnectionOptions.Validate"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside <see cref="ConnectionOptions.Validate"/>.</exception>
    public ConnectionOptions Connection
    {
        get;
        init => field = (value ?? throw new ArgumentNullException(nameof(Connection))).Validate(nameof(Connection));
    } = ConnectionOptions.Default;

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
            : throw new ArgumentOutOfRangeException(nameof(MaxFanout), value, $"MaxFanout must be 1..{MaxFanoutLimit}; got {value}");
    } = DefaultMaxFanout;

    /// <summary>Protocol limits announced to every node. Default <c>new MuxOptions()</c>; checked by <see cref="MuxOptions.Validate"/>.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public MuxOptions Mux
    {
        get;
        init => field = (value ?? throw new ArgumentNullException(nameof(Mux))).Validate();
    } = new();

    /// <summary>Clock for retry backoff and <see cref="NodeResult.Elapsed"/>. Default <see cref="TimeProvider.System"/>.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public TimeProvider TimeProvider
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    } = TimeProvider.System;
}
