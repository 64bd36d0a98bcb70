using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Hosting;

/// <summary>Why a connection was turned away before (or as) it authenticated.</summary>
public enum RefusalCause
{
    /// <summary>The TLS handshake failed or timed out (wrong protocol, no shared cipher, a port scan).</summary>
    TlsHandshake,

    /// <summary>No <c>gatehouse/1</c> ALPN.</summary>
    NoAlpn,

    /// <summary>No client certificate.</summary>
    NoCertificate,

    /// <summary>A client key below RSA-2048 / P-256.</summary>
    WeakKey,

    /// <summary>A certificate whose fingerprint is not in authorized_peers.</summary>
    UnknownIdentity,

    /// <summary>No HELLO in time, or the connection ended during it.</summary>
    Hello,

    /// <summary>Over <see cref="GatewayLimits.MaxConnectionsPerAddress"/>.</summary>
    TooManyFromAddress,

    /// <summary>Over <see cref="GatewayLimits.MaxConnectionsPerPeer"/>.</summary>
    TooManyForPeer,
}

/// <summary>
/// Counts refused connections by cause and keeps floods out of the log: the first refusal of each
/// cause in a minute is logged with its detail, later ones only counted, and <see cref="Flush"/>
/// (called once a second) writes one summary line per minute that had more. The totals are kept
/// for metrics and <c>status</c>.
/// </summary>
public sealed class RefusalLog
{
    private static readonly int CauseCount = Enum.GetValues<RefusalCause>().Length;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long[] _totals = new long[CauseCount];
    private readonly long[] _window = new long[CauseCount];
    private readonly Lock _gate = new();
    private readonly TimeSpan _period;
    private DateTimeOffset _windowStart;

    public RefusalLog(ILogger logger, TimeProvider? time = null, TimeSpan? period = null)
    {
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _period = period ?? TimeSpan.FromMinutes(1);
        _windowStart = _time.GetUtcNow();
    }

    /// <summary>Refusals of <paramref name="cause"/> since start.</summary>
    public long Total(RefusalCause cause) => Interlocked.Read(ref _totals[(int)cause]);

    /// <summary>Counts one refusal; logs it only if it is the first of its cause in this period.</summary>
    public void Refused(RefusalCause cause, string remote, string detail)
    {
        Interlocked.Increment(ref _totals[(int)cause]);
        bool first;
        lock (_gate)
        {
            first = _window[(int)cause]++ == 0;
        }

        if (first)
        {
            Log.ConnectionRefused(_logger, remote, Describe(cause), detail);
        }
    }

    /// <summary>Writes the summary of a period that has ended, if it had refusals beyond the logged first ones.</summary>
    public void Flush()
    {
        var now = _time.GetUtcNow();
        string? summary = null;
        lock (_gate)
        {
            if (now - _windowStart < _period)
            {
                return;
            }

            long more = 0;
            var parts = new List<string>();
            for (int i = 0; i < CauseCount; i++)
            {
                if (_window[i] > 1)
                {
                    more += _window[i] - 1;
                }

                if (_window[i] > 0)
                {
                    parts.Add($"{Describe((RefusalCause)i)} {_window[i]:N0}");
                }

                _window[i] = 0;
            }

            if (more > 0)
            {
                summary = string.Join(", ", parts);
            }

            _windowStart = now;
        }

        if (summary is not null)
        {
            Log.RefusalSummary(_logger, _period.TotalSeconds, summary);
        }
    }

    private static string Describe(RefusalCause cause) => cause switch
    {
        RefusalCause.TlsHandshake => "TLS handshake failed",
        RefusalCause.NoAlpn => "no gatehouse/1 ALPN",
        RefusalCause.NoCertificate => "no client certificate",
        RefusalCause.WeakKey => "weak key",
        RefusalCause.UnknownIdentity => "identity not authorized",
        RefusalCause.Hello => "no HELLO",
        RefusalCause.TooManyFromAddress => "too many connections from one address",
        RefusalCause.TooManyForPeer => "too many connections for one identity",
        _ => cause.ToString(),
    };
}
