namespace Gatehouse.Transport.Connections;

/// <summary>
/// Connection parameters shared by the client, the service SDK and gateway-to-gateway links
/// (seed 003's set). Defaults are the documented ones; every value can be changed.
/// </summary>
public sealed record ConnectionOptions
{
    /// <summary>How long a TCP connect plus TLS handshake plus HELLO may take. Default 1 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Idle connections (no open request) are closed after this. Default 5 min.</summary>
    public TimeSpan InactivityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Default per-call deadline; null means none. Default none.</summary>
    public TimeSpan? CallDeadline { get; init; }

    /// <summary>Reconnection attempts after the first failure before giving up. Default 5.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>First backoff delay. Default 100 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Cap of the truncated exponential backoff. Default 180 s (3 min).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Keepalive interval announced in HELLO. Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The defaults.</summary>
    public static ConnectionOptions Default { get; } = new();
}
