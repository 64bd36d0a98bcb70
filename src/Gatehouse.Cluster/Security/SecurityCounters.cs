namespace Gatehouse.Cluster.Security;

/// <summary>Datagram counts by outcome, for metrics and tests. Read at any time; updated under the keyring's lock.</summary>
public sealed class SecurityCounters
{
    private long _sealed;
    private long _opened;
    private long _malformed;
    private long _unknownSender;
    private long _revoked;
    private long _unknownKey;
    private long _staleKey;
    private long _forged;
    private long _replayed;

    /// <summary>Datagrams sealed.</summary>
    public long Sealed => Interlocked.Read(ref _sealed);

    /// <summary>Datagrams authenticated and decrypted.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>Dropped: not a well-formed sealed datagram.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Dropped: no key for the sender.</summary>
    public long UnknownSender => Interlocked.Read(ref _unknownSender);

    /// <summary>Dropped: the sender was removed.</summary>
    public long Revoked => Interlocked.Read(ref _revoked);

    /// <summary>Dropped: the sender's key id is not installed yet.</summary>
    public long UnknownKey => Interlocked.Read(ref _unknownKey);

    /// <summary>Dropped: a key the sender rotated away from.</summary>
    public long StaleKey => Interlocked.Read(ref _staleKey);

    /// <summary>Dropped: the tag did not verify.</summary>
    public long Forged => Interlocked.Read(ref _forged);

    /// <summary>Dropped: counter seen already, or older than the window.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>All dropped datagrams.</summary>
    public long Dropped => Malformed + UnknownSender + Revoked + UnknownKey + StaleKey + Forged + Replayed;

    internal void CountSealed() => Interlocked.Increment(ref _sealed);

    internal void Count(OpenResult result)
    {
        switch (result)
        {
            case OpenResult.Ok: Interlocked.Increment(ref _opened); break;
            case OpenResult.Malformed: Interlocked.Increment(ref _malformed); break;
            case OpenResult.UnknownSender: Interlocked.Increment(ref _unknownSender); break;
            case OpenResult.Revoked: Interlocked.Increment(ref _revoked); break;
            case OpenResult.UnknownKey: Interlocked.Increment(ref _unknownKey); break;
            case OpenResult.StaleKey: Interlocked.Increment(ref _staleKey); break;
            case OpenResult.Forged: Interlocked.Increment(ref _forged); break;
            case OpenResult.Replayed: Interlocked.Increment(ref _replayed); break;
        }
    }
}
