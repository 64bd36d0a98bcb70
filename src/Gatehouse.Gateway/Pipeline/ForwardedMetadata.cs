using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// Builds the metadata a backend sees: the caller's own entries, minus every name the gateway
/// owns, plus the gateway's (REMOTE_USER, REMOTE_ADDR, ...), so a client cannot forge its identity.
/// </summary>
public static class ForwardedMetadata
{
    /// <summary>Names only the gateway may set.</summary>
    public static bool IsReserved(string name) =>
        name is "REMOTE_USER" or "REMUSER" or "REMOTE_ADDR" or "REMOTE_HOST" or "REMOTE_EXPIRES" or "REMCTL_COMMAND"
        || name.StartsWith("GATEHOUSE_", StringComparison.Ordinal);

    /// <summary>The header to send to a service: <paramref name="request"/>'s, with the caller's identity and <paramref name="deadlineMs"/>.</summary>
    public static RequestHeader Build(RequestHeader request, Caller caller, uint deadlineMs)
    {
        // Indexed loops and an exact-size array: this runs for every relayed request.
        var incoming = request.Metadata;
        int kept = 0;
        for (int i = 0; i < incoming.Count; i++)
        {
            kept += IsReserved(incoming[i].Key) ? 0 : 1;
        }

        bool hasAddress = caller.Address.Length > 0;
        bool hasFingerprint = caller.Fingerprint.Length > 0;
        bool remctl = caller.FrontDoor == FrontDoorKind.Remctl;
        bool hasExpires = caller.Expires is not null;
        var meta = new KeyValuePair<string, string>[kept + 3 + (hasAddress ? 1 : 0) + (hasFingerprint ? 1 : 0) + (remctl ? 1 : 0) + (hasExpires ? 1 : 0)];
        int n = 0;
        for (int i = 0; i < incoming.Count; i++)
        {
            if (!IsReserved(incoming[i].Key))
            {
                meta[n++] = incoming[i];
            }
        }

        meta[n++] = new("REMOTE_USER", caller.Name);
        if (hasAddress)
        {
            meta[n++] = new("REMOTE_ADDR", caller.Address);
        }

        if (caller.Expires is { } expires)
        {
            meta[n++] = new("REMOTE_EXPIRES", expires.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        meta[n++] = new("REMCTL_COMMAND", request.Command);
        meta[n++] = new("GATEHOUSE_DOMAIN", request.Domain);
        if (hasFingerprint)
        {
            meta[n++] = new("GATEHOUSE_FINGERPRINT", caller.Fingerprint);
        }

        if (remctl)
        {
            meta[n] = new("GATEHOUSE_FRONT_DOOR", "remctl");
        }

        return request with { Metadata = meta, DeadlineMs = deadlineMs };
    }
}
