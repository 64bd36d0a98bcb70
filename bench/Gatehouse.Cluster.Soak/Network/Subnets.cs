using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Gatehouse.Cluster.Soak.Network;

/// <summary>Picks a private 10.X.Y.0/24 that overlaps no address or route of this host (parsing apart from I/O).</summary>
internal static partial class Subnets
{
    /// <summary>Every IPv4 prefix in <c>ip -4 -o addr</c> and <c>ip -4 route</c> output (default routes ignored).</summary>
    public static List<(uint Network, int Length)> ParsePrefixes(string text)
    {
        var list = new List<(uint, int)>();
        foreach (Match m in Prefix().Matches(text))
        {
            if (!IPAddress.TryParse(m.Groups[1].Value, out var address))
            {
                continue;
            }

            int length = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : 32;
            if (length is < 1 or > 32)
            {
                continue;
            }

            list.Add((ToUInt(address) & Mask(length), length));
        }

        return list;
    }

    /// <summary>A free 10.X.Y.0/24 (X in 16..250, avoiding 10.213.*, which the namespace tests use), or throws after many tries.</summary>
    /// <exception cref="InvalidOperationException">Every candidate tried overlaps something.</exception>
    public static (int X, int Y) PickFree(IReadOnlyList<(uint Network, int Length)> taken, Random random)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            int x = random.Next(16, 251);
            int y = random.Next(0, 256);
            if (x == 213)
            {
                continue;
            }

            uint candidate = (10u << 24) | ((uint)x << 16) | ((uint)y << 8);
            if (!taken.Any(t => Overlaps(candidate, 24, t.Network, t.Length)))
            {
                return (x, y);
            }
        }

        throw new InvalidOperationException("no free 10.X.Y.0/24 found for the soak's bridge");
    }

    private static bool Overlaps(uint a, int aLength, uint b, int bLength)
    {
        int shorter = Math.Min(aLength, bLength);
        return (a & Mask(shorter)) == (b & Mask(shorter));
    }

    private static uint Mask(int length) => length == 0 ? 0 : uint.MaxValue << (32 - length);

    private static uint ToUInt(IPAddress address)
    {
        byte[] b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    [GeneratedRegex(@"(?<![\d.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?:/(\d{1,2}))?")]
    private static partial Regex Prefix();
}
