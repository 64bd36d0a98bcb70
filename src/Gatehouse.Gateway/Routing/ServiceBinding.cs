using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Routing;

/// <summary>
/// One service endpoint registered for one (domain, command): how many requests it may take at
/// once and how many it has. Counts are guarded by the <see cref="RouteTable"/> lock.
/// </summary>
public sealed class ServiceBinding
{
    internal ServiceBinding(ServiceEndpoint service, string domain, string command, int concurrency)
    {
        Service = service;
        Domain = domain;
        Command = command;
        Concurrency = concurrency;
    }

    public ServiceEndpoint Service { get; }

    public string Domain { get; }

    public string Command { get; }

    /// <summary>The most requests this binding takes at once.</summary>
    public int Concurrency { get; internal set; }

    /// <summary>Requests relayed to it and not finished.</summary>
    public int Outstanding { get; internal set; }

    /// <summary>Requests relayed to it since it registered.</summary>
    public long Served { get; internal set; }

    /// <summary>False once unregistered or its connection closed.</summary>
    public bool IsLive { get; internal set; } = true;

    /// <summary>The connection requests go to.</summary>
    public MuxConnection Connection => Service.Connection;
}
