using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Routing;

/// <summary>
/// Somewhere requests for a route can be sent: a connection that accepts request streams, and a
/// name for admin output. Today that is a service attached to this gateway; a remote gateway
/// that hosts the service is the same thing to the route table.
/// </summary>
public sealed class ServiceEndpoint
{
    public ServiceEndpoint(MuxConnection connection, string name)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(name);
        Connection = connection;
        Name = name;
    }

    /// <summary>The connection request streams are opened on.</summary>
    public MuxConnection Connection { get; }

    /// <summary>How admin output and logs name it (for an attached service: <c>name@address#id</c>).</summary>
    public string Name { get; }

    /// <summary>False once the connection is going away: no new requests are sent to it.</summary>
    public bool IsAvailable => !Connection.IsGoingAway;

    public override string ToString() => Name;
}
