using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Client;

/// <summary>
/// How a client identifies itself, which gateways it trusts, and how hard it tries. Immutable; every
/// value is checked when it is set (<see cref="ArgumentNullException"/> or
/// <see cref="ArgumentOutOfRangeException"/> naming the option), so a bad value fails at once.
/// </summary>
public sealed record ClientOptions
{
    /// <summary>This client's identity (certificate and key). Required.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public required PeerIdentity Identity
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Identity));
    }

    /// <summary>Returns the fingerprint pinned for an endpoint, or null when none is. Required.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public required Func<Endpoint, Fingerprint?> Pins
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Pins));
    }

    /// <summary>
    /// Where announced successors of pinned gateways are kept (key rotation with pin rollover,
    /// docs/security.md). When set, the HELLO asks for IDENTITY notices; a notice signed by the pinned
    /// key and by its successor is recorded here, and a gateway presenting the recorded successor is
    /// accepted and becomes the pin. Null (the default): a changed fingerprint is always refused.
    /// <see cref="PinFrom"/>'s <see cref="KnownHosts"/> is one.
    /// </summary>
    public IPinRollover? Rollover { get; init; }

    /// <summary>
    /// Timeouts, default call deadline, retries and backoff. Default <see cref="ConnectionOptions.Default"/>
    /// (connect 1 s, inactivity 5 min, no deadline, 5 retries, backoff 100 ms..3 min). Checked against
    /// <see cref="ConnectionOptions.Validate"/> (retries 0..100, backoff at most 1 h, connect timeout at most 10 min).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside <see cref="ConnectionOptions.Validate"/>.</exception>
    public ConnectionOptions Connection
    {
        get;
        init => field = (value ?? throw new ArgumentNullException(nameof(Connection))).Validate(nameof(Connection));
    } = ConnectionOptions.Default;

    /// <summary>Protocol limits this side announces. Default <c>new MuxOptions()</c>; checked by <see cref="MuxOptions.Validate"/>.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is outside its range.</exception>
    public MuxOptions Mux
    {
        get;
        init => field = (value ?? throw new ArgumentNullException(nameof(Mux))).Validate();
    } = new();

    /// <summary>The clock retry backoff waits run on. Default <see cref="TimeProvider.System"/>; tests pass a fake one.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public TimeProvider TimeProvider
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    } = TimeProvider.System;

    /// <summary>
    /// Follow see-other-host redirects: the HELLO says so, and a gateway of a cluster may then answer a
    /// call for a route another member hosts with that member's address and fingerprint instead of
    /// forwarding it. The client calls the member directly (pinned to the fingerprint the already
    /// authenticated gateway gave) and sends later calls for that command there too. Default true.
    /// </summary>
    public bool FollowRedirects { get; init; } = true;

    /// <summary>Most redirects followed for one call. Default 3.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 0..10.</exception>
    public int MaxRedirects
    {
        get;
        init => field = value is >= 0 and <= 10 ? value : throw new ArgumentOutOfRangeException(nameof(MaxRedirects), value, "MaxRedirects is 0 to 10");
    } = 3;

    /// <summary>Pins one fingerprint for every endpoint (the <c>--fingerprint</c> case).</summary>
    public static Func<Endpoint, Fingerprint?> PinTo(Fingerprint fingerprint) => _ => fingerprint;

    /// <summary>Pins what a known-hosts file says for each endpoint.</summary>
    public static Func<Endpoint, Fingerprint?> PinFrom(KnownHosts knownHosts) => endpoint => knownHosts.Find(endpoint.ToString());
}
