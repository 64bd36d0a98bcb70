using System.Text.Json;

namespace Gatehouse.Cluster.Soak.Cluster;

/// <summary>One member as <c>gatehouse members --json</c> lists it.</summary>
internal sealed record MemberView(string Fingerprint, string State, string Address, int? Routes, long? RoutesVersion)
{
    /// <summary>Parses the <c>members --json</c> answer.</summary>
    /// <exception cref="JsonException">Not a member list.</exception>
    public static List<MemberView> ParseList(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var list = new List<MemberView>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            list.Add(new MemberView(
                e.GetProperty("fingerprint").GetString() ?? throw new JsonException("fingerprint is null"),
                e.GetProperty("state").GetString() ?? throw new JsonException("state is null"),
                e.GetProperty("address").GetString() ?? string.Empty,
                e.TryGetProperty("routes", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetInt32() : null,
                e.TryGetProperty("routesVersion", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null));
        }

        return list;
    }
}
