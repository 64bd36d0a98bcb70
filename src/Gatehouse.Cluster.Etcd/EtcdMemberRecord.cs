using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Cluster.Registry;

namespace Gatehouse.Cluster.Etcd;

/// <summary>The value of a member key: <c>{"address":"HOST:PORT","remctlPort":4373,"load":0,"version":"0.1.0","metadata":{...}}</c>.</summary>
internal sealed record EtcdMemberRecord(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("remctlPort")] int? RemctlPort,
    [property: JsonPropertyName("load")] long Load,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("metadata")] Dictionary<string, string>? Metadata)
{
    public static EtcdMemberRecord From(LocalMember m) =>
        new(m.Address, m.RemctlPort, m.Load, m.Version, m.Metadata is null ? null : new Dictionary<string, string>(m.Metadata, StringComparer.Ordinal));

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this, EtcdJson.Default.EtcdMemberRecord);

    /// <summary>The record, or null when <paramref name="utf8"/> is not one.</summary>
    public static EtcdMemberRecord? TryParse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty || utf8.Length > LocalMember.MaxBytes)
        {
            return null;
        }

        try
        {
            var r = JsonSerializer.Deserialize(utf8, EtcdJson.Default.EtcdMemberRecord);
            return r is null || string.IsNullOrEmpty(r.Address) || r.Version is null ? null : r;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(EtcdMemberRecord))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class EtcdJson : JsonSerializerContext;
