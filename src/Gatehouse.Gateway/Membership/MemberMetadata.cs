using System.Text.Json;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// The small record each member gossips about itself (at most 512 bytes): its host name, the
/// version of its route table and how many routes it has (members pull the routes themselves over
/// TLS when the version or the hash of the routes changes: <see cref="RouteList"/>), its requests
/// in flight, and the start of its grant ledger's hash (a member whose hash differs from ours is
/// synced with over TLS), and the port of its remctl-compatible listener when it has one (for
/// <c>gatehouse remctl -w @cluster</c>).
/// </summary>
internal sealed record MemberMetadata(string Host, long RoutesVersion, int Routes, long InFlight, string? Grants, string? RoutesHash = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? RemctlPort = null)
{
    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, ExchangeJson.Default.MemberMetadata);

    /// <summary>The record, or null when <paramref name="utf8"/> is not one (another version, garbage).</summary>
    public static MemberMetadata? TryParse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, ExchangeJson.Default.MemberMetadata);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
