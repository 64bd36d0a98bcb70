using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.WebConsole.Gateways;

/// <summary>Which fingerprint a gateway is pinned to and why.</summary>
/// <param name="Fingerprint">The pin; null when nothing pins this gateway (it is then not called).</param>
/// <param name="Source"><c>known_hosts</c>, <c>cluster</c> (the fingerprint its member list gives) or <c>none</c>.</param>
/// <param name="Conflict">When known_hosts and the member list disagree: what each says (known_hosts wins).</param>
internal sealed record Pin(Fingerprint? Fingerprint, string Source, string? Conflict);

/// <summary>
/// The pins the CLI uses: the user's known_hosts first (re-read on every look-up, so a
/// <c>gatehouse trust</c> takes effect at once), then for a cluster member the fingerprint the
/// <c>--via</c> gateway reports for it. Never trusts on first use.
/// </summary>
internal sealed class GatewayPins(string knownHostsPath)
{
    private readonly KnownHosts _knownHosts = new(knownHostsPath);

    /// <summary>The pin for <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The gateway.</param>
    /// <param name="reported">The fingerprint its cluster reports for it, if it is a member.</param>
    /// <exception cref="FormatException">known_hosts has a malformed line (the message names it).</exception>
    public Pin For(Endpoint endpoint, Fingerprint? reported = null)
    {
        var known = _knownHosts.Find(endpoint.ToString());
        if (known is { } k)
        {
            string? conflict = reported is { } r && r != k
                ? $"known_hosts pins {k} but the cluster reports {r} for this member"
                : null;
            return new Pin(k, "known_hosts", conflict);
        }

        return reported is { } fp ? new Pin(fp, "cluster", null) : new Pin(null, "none", null);
    }
}
