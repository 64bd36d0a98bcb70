using System.Net;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway;

/// <summary>An authenticated connection to the gateway: who it is and its multiplexed connection.</summary>
public sealed class PeerSession
{
    private static long s_nextId;

    public PeerSession(MuxConnection connection, PeerGrant grant, Fingerprint fingerprint, EndPoint? remote, PrincipalLoad? load = null)
    {
        Load = load ?? new PrincipalLoad();
        Connection = connection;
        Grant = grant;
        Fingerprint = fingerprint;
        RemoteEndPoint = remote;
        Id = Interlocked.Increment(ref s_nextId);
        RemoteAddress = remote is IPEndPoint ip ? ip.Address.ToString() : string.Empty;
        FingerprintText = fingerprint.ToString();
        Endpoint = new Routing.ServiceEndpoint(connection, Describe());
        Caller = new Pipeline.Caller(this);
    }

    /// <summary>Where requests for the services this peer registers are sent (its connection).</summary>
    public Routing.ServiceEndpoint Endpoint { get; }

    /// <summary>This peer as the request pipeline sees it (made once per connection).</summary>
    public Pipeline.Caller Caller { get; }

    /// <summary>Requests in progress for this peer's principal, over all its sessions.</summary>
    public PrincipalLoad Load { get; }

    /// <summary>A number unique in this process.</summary>
    public long Id { get; }

    public MuxConnection Connection { get; }

    public PeerGrant Grant { get; }

    public Fingerprint Fingerprint { get; }

    public EndPoint? RemoteEndPoint { get; }

    public DateTimeOffset ConnectedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The remote IP address as text, or empty (formatted once per connection).</summary>
    public string RemoteAddress { get; }

    /// <summary>The fingerprint as text (encoded once per connection; backends see it in GATEHOUSE_FINGERPRINT).</summary>
    public string FingerprintText { get; }

    private long _requests;

    /// <summary>Requests this peer has sent.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    /// <summary><c>name@address#id</c>, for logs and admin output.</summary>
    public string Describe() => $"{Grant.Name}@{RemoteEndPoint}#{Id}";
}
