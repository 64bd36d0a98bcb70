using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>
/// Builds the metadata a backend sees: the caller's own entries, minus every name the gateway
/// owns, plus the gateway's (REMOTE_USER, REMOTE_ADDR, ...), so a client cannot forge its identity.
/// A request forwarded by another member (a caller in the <c>gateway</c> role whose request carries
/// <see cref="Via"/>) keeps the identity that member asserted: it authenticated the original caller.
/// </summary>
public static class ForwardedMetadata
{
    /// <summary>The metadata name a forwarding member sets to its member id (its fingerprint).</summary>
    public const string Via = "GATEHOUSE_VIA";

    /// <summary>True when <paramref name="request"/> was forwarded by another member: its caller holds the gateway role and it names the member it came through.</summary>
    public static bool IsForwarded(RequestHeader request, Caller caller)
    {
        if (caller.Grant is not { } grant || !grant.Has(Authorization.PeerRoles.Gateway))
        {
            return false;
        }

        var metadata = request.Metadata;
        for (int i = 0; i < metadata.Count; i++)
        {
            if (metadata[i].Key == Via)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The header a member forwards to another: the caller's identity (as for a service) plus
    /// <see cref="Via"/> = <paramref name="via"/>, and the remaining deadline.
    /// </summary>
    public static RequestHeader BuildForward(RequestHeader request, Caller caller, uint deadlineMs, string via)
    {
        var built = Build(request, caller, deadlineMs);
        var metadata = new KeyValuePair<string, string>[built.Metadata.Count + 1];
        for (int i = 0; i < built.Metadata.Count; i++)
        {
            metadata[i] = built.Metadata[i];
        }

        metadata[^1] = new(Via, via);
        return built with { Metadata = metadata };
    }
    /// <summary>Names only the gateway may set.</summary>
    public static bool IsReserved(string name) =>
        name is "REMOTE_USER" or "REMUSER" or "REMOTE_ADDR" or "REMOTE_HOST" or "REMOTE_EXPIRES" or "REMCTL_COMMAND"
        || name.StartsWith("GATEHOUSE_", StringComparison.Ordinal);

    /// <summary>The header to send to a service: <paramref name="request"/>'s, with the caller's identity and <paramref name="deadlineMs"/>.</summary>
    public static RequestHeader Build(RequestHeader request, Caller caller, uint deadlineMs)
    {
        if (caller.Grant is { } grant && grant.Has(Authorization.PeerRoles.Gateway) && IsForwarded(request, caller))
        {
            return request with { DeadlineMs = deadlineMs }; // asserted by the member that authenticated the caller
        }

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
        string? host = caller.Host;
        var meta = new KeyValuePair<string, string>[kept + 3 + (hasAddress ? 1 : 0) + (host is not null ? 1 : 0) + (hasFingerprint ? 1 : 0) + (remctl ? 1 : 0) + (hasExpires ? 1 : 0)];
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

        if (host is not null)
        {
            meta[n++] = new("REMOTE_HOST", host);
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
