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
        var meta = new List<KeyValuePair<string, string>>(request.Metadata.Count + 6);
        foreach (var pair in request.Metadata)
        {
            if (!IsReserved(pair.Key))
            {
                meta.Add(pair);
            }
        }

        meta.Add(new("REMOTE_USER", caller.Grant.Name));
        if (caller.RemoteAddress.Length > 0)
        {
            meta.Add(new("REMOTE_ADDR", caller.RemoteAddress));
        }

        meta.Add(new("REMCTL_COMMAND", request.Command));
        meta.Add(new("GATEHOUSE_DOMAIN", request.Domain));
        meta.Add(new("GATEHOUSE_FINGERPRINT", caller.FingerprintText));
        return request with { Metadata = meta, DeadlineMs = deadlineMs };
    }
}
