using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Client;

/// <summary>How a client identifies itself and which gateways it trusts.</summary>
public sealed record ClientOptions
{
    /// <summary>This client's identity (certificate and key).</summary>
    public required PeerIdentity Identity { get; init; }

    /// <summary>Returns the fingerprint pinned for an endpoint, or null when none is.</summary>
    public required Func<Endpoint, Fingerprint?> Pins { get; init; }

    /// <summary>Timeouts, retries and backoff.</summary>
    public ConnectionOptions Connection { get; init; } = ConnectionOptions.Default;

    /// <summary>Protocol limits this side announces.</summary>
    public MuxOptions Mux { get; init; } = new();

    /// <summary>Pins one fingerprint for every endpoint (the <c>--fingerprint</c> case).</summary>
    public static Func<Endpoint, Fingerprint?> PinTo(Fingerprint fingerprint) => _ => fingerprint;

    /// <summary>Pins what a known-hosts file says for each endpoint.</summary>
    public static Func<Endpoint, Fingerprint?> PinFrom(KnownHosts knownHosts) => endpoint => knownHosts.Find(endpoint.ToString());
}
