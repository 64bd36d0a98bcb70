using System.Globalization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Authorization;

/// <summary>
/// When each grant was added (<c>peers_added</c> beside authorized_peers, one <c>FINGERPRINT TIME</c> a
/// line), for <c>gatehouse peers</c>. Written by <c>gatehouse authorize</c> for a new grant and by a
/// peer's key rotation for the moved one; kept apart from authorized_peers so a grant's line stays
/// exactly what it grants (the cluster's ledger compares lines). Grants written by hand or received
/// from other cluster members have no time here ("-").
/// </summary>
public static class PeerAddedTimes
{
    /// <summary>The file's name in the state directory.</summary>
    public const string FileName = "peers_added";

    /// <summary>Records that <paramref name="fingerprint"/> was granted at <paramref name="when"/> (locked, atomic).</summary>
    /// <exception cref="IOException">The file or its lock cannot be written.</exception>
    public static void Record(string path, Fingerprint fingerprint, DateTimeOffset when)
    {
        using var held = StateFile.Lock(path);
        var times = Load(path).ToDictionary(p => p.Key, p => p.Value);
        times[fingerprint] = DateTimeOffset.FromUnixTimeSeconds(when.ToUnixTimeSeconds());
        var lines = times.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).Select(p => $"{p.Key} {PeerGrant.FormatTime(p.Value)}")
            .Prepend("# Gatehouse: when each grant was added (written by gatehouse authorize)");
        StateFile.Replace(path, lines, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>Reads the file; missing file or bad lines yield what could be read (the file is advisory).</summary>
    public static IReadOnlyDictionary<Fingerprint, DateTimeOffset> Load(string path)
    {
        var result = new Dictionary<Fingerprint, DateTimeOffset>();
        string[] lines;
        try
        {
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return result;
        }

        foreach (string line in lines)
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && Fingerprint.TryParse(parts[0], out var fp)
                && DateTimeOffset.TryParseExact(parts[1], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                result[fp] = when;
            }
        }

        return result;
    }
}
