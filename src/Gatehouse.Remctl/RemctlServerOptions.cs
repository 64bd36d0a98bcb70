using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl;

/// <summary>
/// Immutable settings of the remctl server side. Defaults follow remctld where it has one, and are
/// otherwise safe limits.
/// </summary>
public sealed record RemctlServerOptions
{
    private readonly int _maxArguments = RemctlLimits.DefaultMaxArguments;
    private readonly long _maxCommandBytes = RemctlLimits.DefaultMaxCommandBytes;
    private readonly TimeSpan _handshakeTimeout = TimeSpan.FromSeconds(10);
    private readonly int _maxPreAuthTokenBytes = 64 * 1024;
    private readonly TimeSpan _idleTimeout = TimeSpan.FromHours(1);
    private readonly TimeSpan _writeTimeout = TimeSpan.FromHours(1);
    private readonly int _maxErrorsPerConnection = 100;

    /// <summary>
    /// Keytab holding the acceptor keys (path, or a krb5 keytab name such as <c>FILE:/etc/gatehouse.keytab</c>).
    /// Null (default) uses the Kerberos library default (KRB5_KTNAME, else <c>/etc/krb5.keytab</c>), as remctld
    /// does without <c>-k</c>.
    /// </summary>
    public string? KeytabPath { get; init; }

    /// <summary>
    /// Kerberos principal to accept as (e.g. <c>host/gw.example.org@EXAMPLE.ORG</c>). Null (default) accepts
    /// tickets for any principal in the keytab, like remctld without <c>-s</c>.
    /// </summary>
    public string? AcceptorPrincipal { get; init; }

    /// <summary>
    /// Kerberos replay cache name (e.g. <c>dfl:</c> or <c>FILE:/var/lib/gatehouse/rcache</c>). Null (default)
    /// uses the library default (KRB5RCACHENAME / KRB5RCACHEDIR).
    /// </summary>
    public string? ReplayCache { get; init; }

    /// <summary>Maximum number of arguments in one command (default 4096, remctld's COMMAND_MAX_ARGS).</summary>
    public int MaxArguments
    {
        get => _maxArguments;
        init => _maxArguments = Positive(value);
    }

    /// <summary>Maximum total size of one command in bytes (default 100 MiB, remctld's COMMAND_MAX_DATA).</summary>
    public long MaxCommandBytes
    {
        get => _maxCommandBytes;
        init => _maxCommandBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Time allowed from connection to an established GSS-API context (default 10 s, as the native port's
    /// handshake). remctld allows an hour per read; a short bound limits idle half-open handshakes.
    /// </summary>
    public TimeSpan HandshakeTimeout
    {
        get => _handshakeTimeout;
        init => _handshakeTimeout = PositiveTime(value);
    }

    /// <summary>
    /// Time a kept-alive connection may wait for the next token (default 1 hour, remctld's TIMEOUT); clients keep
    /// longer sessions alive with MESSAGE_NOOP. Also bounds a stalled partial token.
    /// </summary>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout;
        init => _idleTimeout = PositiveTime(value);
    }

    /// <summary>
    /// Longest a write to the client may wait (default 1 hour, remctld's TIMEOUT, which also bounds its sends).
    /// A client that stops reading while its command produces output holds the command back (flow control);
    /// after this long the connection is dropped and the command cancelled.
    /// </summary>
    public TimeSpan WriteTimeout
    {
        get => _writeTimeout;
        init => _writeTimeout = PositiveTime(value);
    }

    /// <summary>
    /// Largest token accepted before the client has authenticated (default 64 KiB; Kerberos AP-REQs, even
    /// with large PACs, fit well within it). A larger declared length drops the connection before anything
    /// is buffered, so unauthenticated connections cost little memory; after authentication tokens may be
    /// up to remctl's 1 MiB.
    /// </summary>
    public int MaxPreAuthTokenBytes
    {
        get => _maxPreAuthTokenBytes;
        init => _maxPreAuthTokenBytes = value is > 0 and <= RemctlLimits.MaxTokenPayload ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Serve clients that speak the legacy protocol version 1 (first token <c>0x11</c>), as remctld does
    /// (default true): one command per connection, its standard output and standard error merged and cut at
    /// 65528 bytes, errors as text with status -1. When false such a client's connection is closed at its first
    /// token (log event 4302).
    /// </summary>
    public bool ProtocolV1 { get; init; } = true;

    /// <summary>Errors tolerated on one kept-alive connection before it is closed (default 100).</summary>
    public int MaxErrorsPerConnection
    {
        get => _maxErrorsPerConnection;
        init => _maxErrorsPerConnection = Positive(value);
    }

    private static int Positive(int value) => value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));

    private static TimeSpan PositiveTime(TimeSpan value)
        => value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value));
}
