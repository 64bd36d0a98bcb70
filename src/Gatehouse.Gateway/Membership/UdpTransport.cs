using System.Net;
using System.Net.Sockets;
using Gatehouse.Cluster.Membership;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// Membership datagrams over real UDP: one socket per listen address, on the TCP port number
/// (a wildcard address is one dual-stack socket). Replies leave from the socket the request came
/// in on. Best effort, as UDP is: send failures are counted, never thrown.
/// </summary>
internal sealed class UdpTransport : IDatagramTransport, IDisposable
{
    private readonly List<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private DatagramHandler? _handler;
    private long _sendFailures;

    /// <summary>Binds a socket on each of <paramref name="endpoints"/> and starts receiving.</summary>
    /// <exception cref="SocketException">A port is taken (the message names it).</exception>
    public UdpTransport(IEnumerable<IPEndPoint> endpoints)
    {
        try
        {
            foreach (var endpoint in endpoints)
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                if (endpoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(endpoint);
                _sockets.Add(socket);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        foreach (var socket in _sockets)
        {
            _ = ReceiveLoopAsync(socket);
        }
    }

    /// <summary>Datagrams that could not be sent.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    public void SetReceiver(DatagramHandler? handler) => Volatile.Write(ref _handler, handler);

    public void Send(IPEndPoint destination, ReadOnlySpan<byte> datagram)
    {
        var socket = Pick(destination);
        if (socket is null)
        {
            Interlocked.Increment(ref _sendFailures);
            return;
        }

        try
        {
            socket.SendTo(datagram, SocketFlags.None, socket.DualMode && destination.AddressFamily == AddressFamily.InterNetwork
                ? new IPEndPoint(destination.Address.MapToIPv6(), destination.Port)
                : destination);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _sendFailures);
        }
    }

    private Socket? Pick(IPEndPoint destination)
    {
        Socket? fallback = null;
        foreach (var socket in _sockets)
        {
            var local = (IPEndPoint)socket.LocalEndPoint!;
            bool sameFamily = local.AddressFamily == destination.AddressFamily || socket.DualMode;
            if (!sameFamily)
            {
                continue;
            }

            // Loopback to loopback, otherwise a socket that is not bound to loopback.
            if (IPAddress.IsLoopback(destination.Address) == IPAddress.IsLoopback(local.Address) || socket.DualMode)
            {
                return socket;
            }

            fallback ??= socket;
        }

        return fallback;
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(65_536, pinned: true);
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. an ICMP error reported on the socket: the next datagram is unaffected
            }

            var source = (IPEndPoint)result.RemoteEndPoint;
            if (source.Address.IsIPv4MappedToIPv6)
            {
                source = new IPEndPoint(source.Address.MapToIPv4(), source.Port);
            }

            try
            {
                Volatile.Read(ref _handler)?.Invoke(source, buffer.AsSpan(0, result.ReceivedBytes));
            }
            catch (Exception)
            {
                // The node drops bad datagrams itself; nothing a peer sends may end this loop.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _stop.Dispose();
    }
}
