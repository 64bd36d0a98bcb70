using System.Collections.Concurrent;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// One process-wide timer that visits every live connection about once a second (keepalive,
/// dead-peer detection, idle timeout), instead of a timer per connection.
/// </summary>
internal static class Heartbeat
{
    private static readonly ConcurrentDictionary<MuxConnection, byte> Connections = new();
    private static readonly Timer Timer = new(Tick, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

    public static void Register(MuxConnection connection)
    {
        GC.KeepAlive(Timer);
        Connections.TryAdd(connection, 0);
    }

    public static void Unregister(MuxConnection connection) => Connections.TryRemove(connection, out _);

    private static void Tick(object? state)
    {
        long now = Environment.TickCount64;
        foreach (var connection in Connections.Keys)
        {
            try
            {
                connection.OnHeartbeat(now);
            }
            catch (Exception ex)
            {
                // A timer callback that throws ends the process; one connection's fault must not.
                connection.OnHeartbeatFailed(ex);
            }
        }
    }
}
