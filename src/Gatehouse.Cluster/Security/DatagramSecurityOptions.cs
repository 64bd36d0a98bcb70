namespace Gatehouse.Cluster.Security;

/// <summary>Limits of the datagram keyring. Immutable; every value is checked against a safe range.</summary>
public sealed record DatagramSecurityOptions
{
    private readonly int _replayWindow = 2048;
    private readonly int _maxCachedCiphers = 1024;
    private readonly int _retiredKeysRemembered = 8;

    /// <summary>Counters remembered below the highest per sender key (64 to 65,536, a multiple of 64; default 2,048).</summary>
    public int ReplayWindow
    {
        get => _replayWindow;
        init => _replayWindow = value is >= 64 and <= 65_536 && value % 64 == 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ReplayWindow), value, "64 to 65,536, a multiple of 64");
    }

    /// <summary>
    /// Cipher contexts kept ready for receive keys (1 to 100,000; default 1,024). Beyond it the oldest
    /// is disposed and made again on its next use; a real cluster stays under it, a simulator of
    /// thousands of members sets it low to bound memory.
    /// </summary>
    public int MaxCachedCiphers
    {
        get => _maxCachedCiphers;
        init => _maxCachedCiphers = value is >= 1 and <= 100_000 ? value : throw new ArgumentOutOfRangeException(nameof(MaxCachedCiphers), value, "1 to 100,000");
    }

    /// <summary>Key ids per member remembered as retired, so their datagrams count as stale-key (1 to 64; default 8).</summary>
    public int RetiredKeysRemembered
    {
        get => _retiredKeysRemembered;
        init => _retiredKeysRemembered = value is >= 1 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(RetiredKeysRemembered), value, "1 to 64");
    }

    /// <summary>The defaults.</summary>
    public static DatagramSecurityOptions Default { get; } = new();
}
