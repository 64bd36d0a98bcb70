using Gatehouse.Gateway.Authorization;

namespace Gatehouse.Gateway.Pipeline;

/// <summary>The front door a request came in by.</summary>
public enum FrontDoorKind
{
    /// <summary>A native Gatehouse connection (TLS, pinned fingerprint, multiplexed streams).</summary>
    Native,

    /// <summary>A stock remctl client on the Kerberos port.</summary>
    Remctl,
}

/// <summary>
/// Who sent a request, as every target sees it: the authenticated principal and what the front door
/// knows about it. A native connection has one for its whole life (made once, not per request); the
/// remctl port makes one per command.
/// </summary>
public sealed class Caller
{
    /// <summary>A caller on a native connection: the principal is the name its fingerprint is authorized as.</summary>
    public Caller(PeerSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        FrontDoor = FrontDoorKind.Native;
        Session = session;
        Grant = session.Grant;
        Name = session.Grant.Name;
        Address = session.RemoteAddress;
        Fingerprint = session.FingerprintText;
        Load = session.Load;
        Label = session.Describe();
    }

    /// <summary>A remctl client: <paramref name="principal"/> is its Kerberos principal; <paramref name="host"/> its address's name, if known.</summary>
    public Caller(string principal, string address, DateTimeOffset? expires, bool anonymous, PrincipalLoad load, string? host = null)
    {
        Host = host;
        FrontDoor = FrontDoorKind.Remctl;
        Name = principal;
        Address = address;
        Fingerprint = string.Empty;
        Expires = expires;
        IsAnonymous = anonymous;
        Load = load;
        Label = address.Length > 0 ? $"{principal}@{address} (remctl)" : $"{principal} (remctl)";
    }

    /// <summary>Which front door the request came in by.</summary>
    public FrontDoorKind FrontDoor { get; }

    /// <summary>The principal (REMOTE_USER): the authorized name of a native peer, or a Kerberos principal.</summary>
    public string Name { get; }

    /// <summary>The client's IP address as text (REMOTE_ADDR), or empty.</summary>
    public string Address { get; }

    /// <summary>
    /// The client's host name by reverse lookup (REMOTE_HOST), once known. A remctl caller is made
    /// after its lookup (bounded by <see cref="GatewayOptions.RemoteHostTimeout"/>); a native
    /// connection's lookup runs beside it, and its requests carry the name from when it arrives.
    /// </summary>
    public string? Host
    {
        get => Volatile.Read(ref field);
        internal set => Volatile.Write(ref field, value);
    }

    /// <summary>The native peer's fingerprint as text (GATEHOUSE_FINGERPRINT), or empty.</summary>
    public string Fingerprint { get; }

    /// <summary>When the caller's credentials expire (REMOTE_EXPIRES: a Kerberos ticket's end), if known.</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>True for an anonymous Kerberos client.</summary>
    public bool IsAnonymous { get; }

    /// <summary>The native peer's grant (roles, domains); null for remctl clients.</summary>
    public PeerGrant? Grant { get; }

    /// <summary>The native session; null for remctl clients.</summary>
    public PeerSession? Session { get; }

    /// <summary>Requests in progress for this principal, over all its connections.</summary>
    public PrincipalLoad Load { get; }

    /// <summary>How logs name the caller.</summary>
    public string Label { get; }
}
