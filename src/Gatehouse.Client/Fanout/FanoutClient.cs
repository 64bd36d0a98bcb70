using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// Calls many gateways at once (seed 000's futures, clush's fan-out). Keeps one
/// <see cref="GatehouseClient"/> — one multiplexed, pinned TLS connection — per node and reuses it
/// across calls. Every node's outcome is a <see cref="NodeResult"/>; per-node failures never throw.
/// Retries follow the client library's one <see cref="Client.RetryPolicy"/>, with
/// <see cref="FanoutClientOptions.Connection"/>'s counts and <see cref="FanoutClientOptions.TimeProvider"/>'s
/// clock, exactly as a <see cref="GatehouseClient"/> does. Thread-safe.
/// </summary>
public sealed partial class FanoutClient : IAsyncDisposable
{
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _fanout;
    private readonly Dictionary<(Endpoint Endpoint, Fingerprint? Pin), GatehouseClient> _clients = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposing = new();
    private bool _disposed;

    /// <summary>A fan-out client; connects to nothing until the first call.</summary>
    /// <param name="random">Jitter source for backoff (tests pass a seeded one); default <see cref="Random.Shared"/>.</param>
    /// 
    public FanoutClient(FanoutClientOptions options, ILogger? logger = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _logger = logger;
        _fanout = new SemaphoreSlim(options.MaxFanout, options.MaxFanout);
        RetryPolicy = new RetryPolicy(options.Connection, options.TimeProvider, random);
    }

    /// <summary>How every node's call is retried (shared with the clients of <see cref="GetClient"/>).</summary>
    public RetryPolicy RetryPolicy { get; }

    /// <summary>The options this client was made with.</summary>
    public FanoutClientOptions Options { get; }

    /// <summary>
    /// The client used for <paramref name="node"/> (made on first use, then reused). Use it for
    /// streaming calls (<see cref="GatehouseClient.StartCallAsync"/>); it follows the same
    /// <see cref="RetryPolicy"/> (same clock and jitter source).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The fan-out client was disposed.</exception>
    public GatehouseClient GetClient(FanoutNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (node.Endpoint, node.Pin);
            if (!_clients.TryGetValue(key, out var client))
            {
                var fallback = Options.Pins;
                var pin = node.Pin;
                client = new GatehouseClient(node.Endpoint, new ClientOptions
                {
                    Identity = Options.Identity,
                    Pins = endpoint => pin ?? fallback(endpoint),
                    Connection = Options.Connection,
                    Mux = Options.Mux,
                    TimeProvider = Options.TimeProvider,
                }, _logger, RetryPolicy);
                _clients[key] = client;
            }

            return client;
        }
    }

    /// <summary>Closes every node's connection; calls still running end as <see cref="NodeFailure.Cancelled"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        GatehouseClient[] clients;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            clients = [.. _clients.Values];
            _clients.Clear();
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        foreach (var client in clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        // _disposing is deliberately not disposed: calls racing with DisposeAsync may still link to its
        // token, and a CancellationTokenSource without a timer holds nothing that needs releasing.
    }
}
