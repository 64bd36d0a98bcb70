using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Client.Fanout;

/// <summary>
/// Calls many gateways at once (seed 000's futures, clush's fan-out). Keeps one
/// <see cref="GatehouseClient"/> — one multiplexed, pinned TLS connection — per node and reuses it
/// across calls. Every node's outcome is a <see cref="NodeResult"/>; per-node failures never throw.
/// Retries follow <see cref="FanoutClientOptions.Connection"/> through a <see cref="Retrier"/>
/// and <see cref="FanoutRetryRules"/>. Thread-safe.
/// </summary>
public sealed partial class FanoutClient : IAsyncDisposable
{
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _fanout;
    private readonly Retrier _retrier;
    private readonly Dictionary<(Endpoint Endpoint, Fingerprint? Pin), GatehouseClient> _clients = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _disposing = new();
    private bool _disposed;

    /// <summary>A fan-out client; connects to nothing until the first call.</summary>
    /// <param name="random">Jitter source for backoff (tests pass a seeded one); default <see cref="Random.Shared"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The backoff bounds in <paramref name="options"/> are invalid.</exception>
    public FanoutClient(FanoutClientOptions options, ILogger? logger = null, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _logger = logger;
        _fanout = new SemaphoreSlim(options.MaxFanout, options.MaxFanout);
        _retrier = new Retrier(options.Connection, options.TimeProvider, random);
    }

    /// <summary>The options this client was made with.</summary>
    public FanoutClientOptions Options { get; }

    /// <summary>
    /// The client used for <paramref name="node"/> (made on first use, then reused). Use it for
    /// streaming calls (<see cref="GatehouseClient.StartCallAsync"/>); it retries nothing itself.
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
                    // The fan-out client owns retries (with an injectable clock): one attempt per call here.
                    Connection = Options.Connection with { MaxRetries = 0 },
                    Mux = Options.Mux,
                }, _logger);
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
