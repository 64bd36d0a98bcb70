namespace Gatehouse.Gateway;

/// <summary>
/// What the gateway allows any one peer, principal or address, and itself in all, whatever a peer
/// announces (docs/security.md lists each limit, its default and what it protects). A limit of 0
/// turns that limit off.
/// </summary>
public sealed record GatewayLimits
{
    /// <summary>Output queued for one connection and not yet sent (DATA then waits, whatever windows the peer gave). Default 4 MiB.</summary>
    public int MaxBufferedOutputPerConnection { get; init; } = 4 * 1024 * 1024;

    /// <summary>Received stdin waiting for its consumer, per connection, before connection credit is withheld. Default 4 MiB.</summary>
    public int MaxBufferedInputPerConnection { get; init; } = 4 * 1024 * 1024;

    /// <summary>Output queued for all connections together. Default 256 MiB.</summary>
    public long OutputBudget { get; init; } = 256L * 1024 * 1024;

    /// <summary>A peer that reads nothing of what is queued for it for this long is disconnected, its requests ended. Default 60 s.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Exec processes running at once on this gateway. Default 512.</summary>
    public int MaxExecProcesses { get; init; } = 512;

    /// <summary>Exec processes running at once for one principal (a native peer's name or a Kerberos principal). Default 64.</summary>
    public int MaxExecProcessesPerPrincipal { get; init; } = 64;

    /// <summary>Requests in progress at once for one principal, over all its connections. Default 4,096.</summary>
    public int MaxRequestsPerPrincipal { get; init; } = 4_096;

    /// <summary>Native connections at once from one IP address (authenticated or not). Default 512.</summary>
    public int MaxConnectionsPerAddress { get; init; } = 512;

    /// <summary>Authenticated native connections at once with one certificate fingerprint. Default 64.</summary>
    public int MaxConnectionsPerPeer { get; init; } = 64;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value outside its allowed range.</summary>
    public GatewayLimits Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedOutputPerConnection, 65_536, nameof(MaxBufferedOutputPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedInputPerConnection, 0, nameof(MaxBufferedInputPerConnection));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutputBudget, (long)MaxBufferedOutputPerConnection, nameof(OutputBudget));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxExecProcesses, 0, nameof(MaxExecProcesses));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxExecProcessesPerPrincipal, 0, nameof(MaxExecProcessesPerPrincipal));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestsPerPrincipal, 0, nameof(MaxRequestsPerPrincipal));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerAddress, 0, nameof(MaxConnectionsPerAddress));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConnectionsPerPeer, 0, nameof(MaxConnectionsPerPeer));
        return this;
    }
}
