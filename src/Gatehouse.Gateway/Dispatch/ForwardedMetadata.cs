using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Dispatch;

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

    /// <summary>The header to send to the backend.</summary>
    public static RequestHeader Build(RequestHeader request, PeerSession caller, uint deadlineMs)
    {
        // Indexed loops and an exact-size array: this runs for every relayed request.
        var incoming = request.Metadata;
        int kept = 0;
        for (int i = 0; i < incoming.Count; i++)
        {
            kept += IsReserved(incoming[i].Key) ? 0 : 1;
        }

        bool hasAddress = caller.RemoteAddress.Length > 0;
        var meta = new KeyValuePair<string, string>[kept + (hasAddress ? 5 : 4)];
        int n = 0;
        for (int i = 0; i < incoming.Count; i++)
        {
            if (!IsReserved(incoming[i].Key))
            {
                meta[n++] = incoming[i];
            }
        }

        meta[n++] = new("REMOTE_USER", caller.Grant.Name);
        if (hasAddress)
        {
            meta[n++] = new("REMOTE_ADDR", caller.RemoteAddress);
        }

        meta[n++] = new("REMCTL_COMMAND", request.Command);
        meta[n++] = new("GATEHOUSE_DOMAIN", request.Domain);
        meta[n] = new("GATEHOUSE_FINGERPRINT", caller.FingerprintText);
        return request with { Metadata = meta, DeadlineMs = deadlineMs };
    }
}
