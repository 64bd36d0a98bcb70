using Gatehouse.Client;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cluster.Soak.Cluster;

/// <summary>
/// Asks one gateway for <c>gatehouse members --json</c> as the soak's admin identity, over one
/// persistent connection (made again after a failure). A failed or slow call gives null, never an
/// exception: the gateway may be down on purpose.
/// </summary>
internal sealed class MembersClient(Endpoint endpoint, Fingerprint fingerprint, PeerIdentity admin) : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private GatehouseClient? _client;

    public async Task<List<MemberView>?> TryGetAsync(CancellationToken cancel)
    {
        await _lock.WaitAsync(cancel);
        try
        {
            _client ??= new GatehouseClient(endpoint, new ClientOptions
            {
                Identity = admin,
                Pins = ClientOptions.PinTo(fingerprint),
                Connection = ConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromSeconds(2), MaxRetries = 0 },
            });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(CallTimeout);
            try
            {
                var result = await _client.CallAsync(new CallRequest("members", "--json") { Domain = RequestHeader.ControlDomain }, timeout.Token);
                if (result.Succeeded)
                {
                    return MemberView.ParseList(result.StdoutText);
                }
            }
            catch (Exception) when (!cancel.IsCancellationRequested)
            {
                // Down, restarting, refusing or slow: the caller polls again.
            }

            // Start over on a new connection next time.
            await _client.DisposeAsync();
            _client = null;
            return null;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Closes the connection (a later call makes a new one): nothing of ours on the wire.</summary>
    public async Task CloseAsync()
    {
        await _lock.WaitAsync();
        try
        {
            if (_client is { } c)
            {
                _client = null;
                await c.DisposeAsync();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is { } c)
        {
            await c.DisposeAsync();
        }

        _lock.Dispose();
    }
}
