using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl;

/// <summary>Immutable settings of <see cref="RemctlClient"/>, with documented defaults.</summary>
public sealed record RemctlClientOptions
{
    private readonly int _port = RemctlLimits.DefaultPort;
    private readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(10);
    private readonly TimeSpan _timeout = TimeSpan.FromHours(1);

    /// <summary>Server port (default 4373, the IANA remctl port).</summary>
    public int Port
    {
        get => _port;
        init => _port = value is > 0 and <= 65535 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Kerberos principal of the server (e.g. <c>host/gw.example.org@EXAMPLE.ORG</c>). Null (default) uses the
    /// host-based service name <c>host@HOST</c> for the host connected to, as the stock client does.
    /// </summary>
    public string? ServerPrincipal { get; init; }

    /// <summary>
    /// Kerberos ticket cache to authenticate from (e.g. <c>FILE:/tmp/krb5cc_gatehouse</c>). Null (default) uses
    /// the library default (KRB5CCNAME).
    /// </summary>
    public string? CredentialCache { get; init; }

    /// <summary>Time allowed for the TCP connection and the GSS-API handshake together (default 10 s).</summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        init => _connectTimeout = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Longest wait for the next token from the server while a command or NOOP is outstanding (default 1 hour,
    /// remctld's own timeout); <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        init => _timeout = value > TimeSpan.Zero || value == System.Threading.Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value));
    }
}
