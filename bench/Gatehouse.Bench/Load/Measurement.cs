namespace Gatehouse.Bench.Load;

/// <summary>What one run of a scenario produced (before CPU is added).</summary>
/// <param name="Operations">Requests completed (1 for a stream).</param>
/// <param name="Bytes">Payload bytes received back.</param>
/// <param name="Elapsed">Wall time of the measured part.</param>
/// <param name="LatenciesUs">Per-request latencies in microseconds (sequential runs only), sorted.</param>
/// <param name="ClientCpuSeconds">CPU of an external load generator, when it measures itself.</param>
/// <param name="ServerMemoryMb">Idle-connections scenario: the server's resident memory (MiB) with the connections open.</param>
/// <param name="ServerMemoryPerConnectionKb">Idle-connections scenario: its growth per connection (KiB).</param>
/// <param name="BaselineMemoryMb">
/// Stalled-stream scenario: the forwarding gateway's resident memory (MiB) at rest just before the
/// call; <paramref name="ServerMemoryMb"/> is then the most it reached while the call was stalled.
/// </param>
/// <param name="HeldBytes">
/// Stalled-stream scenario: bytes the forwarding gateway read from its link to the service's member
/// and had not written to the caller at the end of the stall (from the sockets' tcp_info counters).
/// </param>
/// <param name="ConnectLatenciesUs">
/// First-call scenario: how long each new client took to connect to the member it was made for
/// (TLS handshake and HELLO; not part of <paramref name="LatenciesUs"/>), sorted.
/// </param>
public sealed record Measurement(long Operations, long Bytes, TimeSpan Elapsed, double[]? LatenciesUs = null, double? ClientCpuSeconds = null,
    double? ServerMemoryMb = null, double? ServerMemoryPerConnectionKb = null, double? BaselineMemoryMb = null, long? HeldBytes = null,
    double[]? ConnectLatenciesUs = null)
{
    /// <summary>Stalled-stream scenario: <see cref="ServerMemoryMb"/> over <see cref="BaselineMemoryMb"/> (MiB), else NaN.</summary>
    public double ServerMemoryGrowthMb => ServerMemoryMb is { } peak && BaselineMemoryMb is { } idle ? peak - idle : double.NaN;

    public double OpsPerSecond => Operations / Elapsed.TotalSeconds;

    /// <summary>Megabytes (10^6 bytes) per second of payload received.</summary>
    public double MegabytesPerSecond => Bytes / Elapsed.TotalSeconds / 1e6;

    /// <summary>The <paramref name="p"/>-quantile (0..1) latency, nearest rank.</summary>
    public double Percentile(double p) => Percentile(LatenciesUs, p);

    /// <summary>The <paramref name="p"/>-quantile (0..1) of <see cref="ConnectLatenciesUs"/>, nearest rank.</summary>
    public double ConnectPercentile(double p) => Percentile(ConnectLatenciesUs, p);

    private static double Percentile(double[]? sorted, double p)
    {
        if (sorted is not { Length: > 0 } l)
        {
            return double.NaN;
        }

        int rank = (int)Math.Ceiling(p * l.Length) - 1;
        return l[Math.Clamp(rank, 0, l.Length - 1)];
    }
}
