using System.Net;
using System.Net.Sockets;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Fanout.Tests;

/// <summary>
/// A raw TCP listener on 127.0.0.1 that accepts connections and never says a word (no TLS), so a
/// client's TCP connect succeeds and its TLS handshake waits until the connect timeout.
/// </summary>
internal sealed class SilentListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];
    private readonly Task _acceptLoop;

    public SilentListener()
    {
        _listener.Start();
        Endpoint = new Endpoint("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port);
        _acceptLoop = AcceptLoopAsync();
    }

    public Endpoint Endpoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted
    {
        get
        {
            lock (_accepted)
            {
                return _accepted.Count;
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                lock (_accepted)
                {
                    _accepted.Add(socket);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Dispose stopped the listener: the loop ends here.
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }
        }
    }
}

/// <summary>A loopback port nothing listens on (bound once to get a free number, then released).</summary>
internal static class ClosedPort
{
    public static Endpoint Get()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Endpoint("127.0.0.1", port);
    }
}
