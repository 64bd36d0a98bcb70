using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.Routing;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// A member's route table as other members pull it over TLS (<c>gatehouse cluster-routes</c>):
/// the table's version, the hash of its (domain, command) pairs (also gossiped in
/// <see cref="MemberMetadata"/>, so a member can tell it has the current list), and the routes with
/// how many services serve each and their summed concurrency.
/// </summary>
internal sealed record RouteList(long Version, string Hash, IReadOnlyList<RouteEntry> Routes)
{
    /// <summary>Characters of the hex SHA-256 kept as the hash (64 bits).</summary>
    public const int HashLength = 16;

    /// <summary>The list of a local table snapshot.</summary>
    public static RouteList From(long version, IReadOnlyList<RouteInfo> routes)
    {
        var entries = routes.Select(r => new RouteEntry(r.Domain, r.Command, r.Services.Count, r.Services.Sum(s => s.Concurrency))).ToList();
        return new RouteList(version, HashOf(entries), entries);
    }

    /// <summary>The hash of the (domain, command) pairs, independent of their order.</summary>
    public static string HashOf(IEnumerable<RouteEntry> routes)
    {
        var text = new StringBuilder();
        foreach (var r in routes.OrderBy(r => r.Domain, StringComparer.Ordinal).ThenBy(r => r.Command, StringComparer.Ordinal))
        {
            text.Append(r.Domain).Append('\0').Append(r.Command).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..HashLength];
    }

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, ExchangeJson.Default.RouteList);

    /// <summary>Parses and checks a pulled list: every field present, the hash matching the routes.</summary>
    /// <exception cref="FormatException">Not a valid list.</exception>
    public static RouteList Parse(ReadOnlySpan<byte> utf8)
    {
        RouteList? list;
        try
        {
            list = JsonSerializer.Deserialize(utf8, ExchangeJson.Default.RouteList);
        }
        catch (JsonException ex)
        {
            throw new FormatException("malformed route list: " + ex.Message, ex);
        }

        if (list is null || list.Hash is null || list.Routes is null || list.Routes.Any(r => r is null || string.IsNullOrEmpty(r.Domain) || string.IsNullOrEmpty(r.Command) || r.Services < 0 || r.Concurrency < 0))
        {
            throw new FormatException("route list without hash or routes, or with an empty domain or command");
        }

        if (HashOf(list.Routes) != list.Hash)
        {
            throw new FormatException("the route list does not match its hash");
        }

        return list;
    }
}

/// <summary>One route of a member: (domain, command), how many services serve it, their summed concurrency.</summary>
internal sealed record RouteEntry(string Domain, string Command, int Services, int Concurrency);
