using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Cluster.Membership;
using SendKey = Gatehouse.Cluster.Security.SendKey;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// What two members send each other over their mutual TLS connection (<c>gatehouse
/// cluster-exchange</c>): the sender's id, its current datagram send key (so the receiver can open
/// its datagrams: keys travel only over TLS, between the two members they belong to) and its full
/// view of the membership (SWIM's push-pull), and its grant ledger (<see cref="Cluster.GrantCodec"/> text), so a
/// grant made on any member reaches every member. During a key rotation it also carries the sender's
/// next send key (<see cref="NextKeyId"/>, <see cref="NextKey"/>), which the receiver accepts from then on.
/// </summary>
internal sealed record ExchangeMessage(string Id, uint KeyId, string Key, IReadOnlyList<MemberDto> Members, string? Grants, uint? NextKeyId = null, string? NextKey = null)
{
    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, ExchangeJson.Default.ExchangeMessage);

    /// <exception cref="FormatException">Not a valid message.</exception>
    public static ExchangeMessage Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var message = JsonSerializer.Deserialize(utf8, ExchangeJson.Default.ExchangeMessage)
                ?? throw new FormatException("empty exchange message");
            if (string.IsNullOrEmpty(message.Id) || message.Members is null || message.Key is null)
            {
                throw new FormatException("exchange message without id, key or members");
            }

            return message;
        }
        catch (JsonException ex)
        {
            throw new FormatException("malformed exchange message: " + ex.Message, ex);
        }
    }

    public byte[] KeyBytes() => Decode(Key);

    /// <summary>The next key's bytes, or null when the message carries none.</summary>
    public byte[]? NextKeyBytes() => NextKey is null || NextKeyId is null ? null : Decode(NextKey);

    private static byte[] Decode(string text)
    {
        try
        {
            var key = Convert.FromBase64String(text);
            return key.Length == SendKey.KeyBytes ? key : throw new FormatException($"a send key is {SendKey.KeyBytes} bytes, not {key.Length}");
        }
        catch (FormatException ex) when (ex.Message.StartsWith("The input is not", StringComparison.Ordinal))
        {
            throw new FormatException("the send key is not base64", ex);
        }
    }

    public IReadOnlyList<MemberSnapshot> Snapshots() => [.. Members.Select(m => m.ToSnapshot())];
}

/// <summary>One member in an exchange message.</summary>
internal sealed record MemberDto(string Id, string Address, uint Incarnation, MemberState State, string Metadata, long LastChangeMs)
{
    public static MemberDto From(MemberSnapshot s) => new(
        s.Id, s.Address.ToString(), s.Incarnation, s.State, Convert.ToBase64String(s.Metadata.Span), s.LastChange.ToUnixTimeMilliseconds());

    /// <exception cref="FormatException">A field is not valid.</exception>
    public MemberSnapshot ToSnapshot()
    {
        if (string.IsNullOrEmpty(Id) || !IPEndPoint.TryParse(Address ?? string.Empty, out var address) || !Enum.IsDefined(State))
        {
            throw new FormatException($"member '{Id}': bad address or state");
        }

        return new MemberSnapshot(Id, address, Incarnation, State, Convert.FromBase64String(Metadata ?? string.Empty), DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(LastChangeMs, 0, 253_402_300_799_999)));
    }
}

[JsonSerializable(typeof(ExchangeMessage))]
[JsonSerializable(typeof(MemberMetadata))]
[JsonSerializable(typeof(RouteList))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
internal sealed partial class ExchangeJson : JsonSerializerContext;
