using System.Collections.Concurrent;
using Gatehouse.Client;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.WebConsole.Gateways;

/// <summary>
/// One <see cref="GatehouseClient"/> (one multiplexed connection) per gateway and pin, shared by
/// every page and run: the console's polling does not open a TLS connection per request. A client
/// is made for a pin, so a gateway whose pin changes gets a new client and the old one is closed.
/// </summary>
internal sealed class ClientPool(PeerIdentity identity, TimeSpan connectTimeout) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, (Fingerprint Pin, GatehouseClient Client)> _clients = new(StringComparer.OrdinalIgnoreCase);
    private bool _disposed;

    /// <summary>The client for <paramref name="endpoint"/> pinned to <paramref name="pin"/>.</summary>
    /// <exception cref="ObjectDisposedException">The console is stopping.</exception>
    public GatehouseClient Get(Endpoint endpoint, Fingerprint pin)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string key = endpoint.ToString();
        while (true)
        {
            if (_clients.TryGetValue(key, out var entry))
            {
                if (entry.Pin == pin)
                {
                    return entry.Client;
                }

                if (_clients.TryRemove(new(key, entry)))
                {
                    _ = entry.Client.DisposeAsync().AsTask(); // a pin that changed: its connection is not used again
                }

                continue;
            }

            var client = new GatehouseClient(endpoint, Options(pin));
            if (_clients.TryAdd(key, (pin, client)))
            {
                return client;
            }

            _ = client.DisposeAsync().AsTask(); // lost the race; never connected
        }
    }

    /// <summary>Options for one gateway: the user's identity, exactly this pin, one connect attempt (a page should say at once that a gateway is down).</summary>
    private ClientOptions Options(Fingerprint pin) => new()
    {
        Identity = identity,
        Pins = ClientOptions.PinTo(pin),
        Connection = ConnectionOptions.Default with { ConnectTimeout = connectTimeout, MaxRetries = 0 },
    };

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var (_, (_, client)) in _clients)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
    }
}
