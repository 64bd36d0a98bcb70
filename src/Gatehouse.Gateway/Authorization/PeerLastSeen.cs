using System.Collections.Concurrent;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// When each peer was last connected, for <c>gatehouse peers</c>: the gateway notes every session's
/// start and end, and peers still connected at each save; <see cref="Save"/> (from the sweep, at most
/// every <see cref="SaveInterval"/>) writes <c>peers_seen</c> atomically, one <c>FINGERPRINT TIME</c> a
/// line. Only peers with a grant are kept, so the file stays as small as authorized_peers.
/// </summary>
public sealed class PeerLastSeen
{
    /// <summary>The file's name in the state directory.</summary>
    public const string FileName = "peers_seen";

    /// <summary>How often a changed table is written.</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private readonly ConcurrentDictionary<Fingerprint, DateTimeOffset> _seen = new();
    private DateTimeOffset _lastSave = DateTimeOffset.MinValue;
    private int _dirty;

    public PeerLastSeen(string path)
    {
        _path = path;
        foreach (var (fp, when) in Load(path))
        {
            _seen[fp] = when;
        }
    }

    /// <summary>Notes that <paramref name="fingerprint"/> is connected now.</summary>
    public void Touch(Fingerprint fingerprint, DateTimeOffset now)
    {
        _seen[fingerprint] = now;
        Volatile.Write(ref _dirty, 1);
    }

    /// <summary>
    /// Writes the table when it changed and <see cref="SaveInterval"/> passed, after noting
    /// <paramref name="connected"/> as seen now and dropping peers without a grant. Throws on I/O
    /// errors (the sweep logs them).
    /// </summary>
    public void Save(IEnumerable<Fingerprint> connected, Func<Fingerprint, bool> granted, DateTimeOffset now)
    {
        if (now - _lastSave < SaveInterval)
        {
            return;
        }

        foreach (var fp in connected)
        {
            Touch(fp, now);
        }

        if (Interlocked.Exchange(ref _dirty, 0) == 0)
        {
            return;
        }

        _lastSave = now;
        foreach (var fp in _seen.Keys.Where(fp => !granted(fp)).ToList())
        {
            _seen.TryRemove(fp, out _);
        }

        var lines = _seen.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal)
            .Select(p => $"{p.Key} {PeerGrant.FormatTime(p.Value)}").Prepend("# Gatehouse: when each peer was last connected (written by the gateway)");
        StateFile.Replace(_path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>Reads a <c>peers_seen</c> file; a missing file or a bad line yields what could be read (the file is advisory).</summary>
    public static IReadOnlyDictionary<Fingerprint, DateTimeOffset> Load(string path) => PeerAddedTimes.Load(path);
}
