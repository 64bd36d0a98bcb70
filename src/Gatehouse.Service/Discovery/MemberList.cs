using System.Text.Json;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Service.Discovery;

/// <summary>
/// One member of a gateway cluster as <c>gatehouse members --json</c> lists it: only the fields a
/// service uses (the answer has more: host, incarnation, route lists, ...).
/// </summary>
/// <param name="Fingerprint">The member's TLS identity (its member id).</param>
/// <param name="State">alive, suspect, dead or left (a state this version does not know counts as not live).</param>
/// <param name="Address">host:port of the member's TLS listener.</param>
/// <param name="Self">True for the gateway that answered.</param>
internal sealed record ClusterMember(Fingerprint Fingerprint, string State, Endpoint Address, bool Self)
{
    /// <summary>Alive or suspect: a member others still route to, worth attaching to.</summary>
    public bool IsLive => State is "alive" or "suspect";
}

/// <summary>Parses the answer of <c>gatehouse members --json</c> (docs/services.md). Pure: no I/O.</summary>
internal static class MemberList
{
    /// <summary>
    /// The members in <paramref name="json"/>: a JSON array of objects, each with at least
    /// <c>fingerprint</c>, <c>state</c>, <c>address</c> (host:port) and <c>self</c>; other fields are ignored.
    /// </summary>
    /// <exception cref="FormatException">Not such an array, or an entry lacks a field or has one that does not parse (the message says which).</exception>
    public static IReadOnlyList<ClusterMember> Parse(ReadOnlyMemory<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the member list is not JSON ({ex.Message})", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"the member list is a JSON {doc.RootElement.ValueKind}, not an array");
            }

            var members = new List<ClusterMember>(doc.RootElement.GetArrayLength());
            int index = 0;
            foreach (var entry in doc.RootElement.EnumerateArray())
            {
                members.Add(ParseMember(entry, index++));
            }

            return members;
        }
    }

    private static ClusterMember ParseMember(JsonElement entry, int index)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"member {index} is a JSON {entry.ValueKind}, not an object");
        }

        string fingerprintText = Text(entry, "fingerprint", index);
        if (!Fingerprint.TryParse(fingerprintText, out var fingerprint))
        {
            throw new FormatException($"member {index}: '{fingerprintText}' is not a fingerprint");
        }

        string addressText = Text(entry, "address", index);
        Endpoint address;
        try
        {
            address = Endpoint.Parse(addressText);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"member {index}: address {ex.Message}", ex);
        }

        if (address.Port == 0)
        {
            throw new FormatException($"member {index}: address '{addressText}' has no port");
        }

        bool self = entry.TryGetProperty("self", out var s) && s.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new FormatException($"member {index}: 'self' is not true or false"),
        };
        return new ClusterMember(fingerprint, Text(entry, "state", index), address, self);
    }

    private static string Text(JsonElement entry, string name, int index) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new FormatException($"member {index} has no '{name}' text");
}
