using Gatehouse.Gateway.Dispatch;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Tests;

namespace Gatehouse.Gateway.Tests;

public class RelayTests
{
    [Fact]
    public async Task Relay_carries_more_than_a_window_intact_over_in_memory_connections()
    {
        const int chunk = 10_000;
        const int chunks = 500;
        // Backend pair: the gateway dials nothing here; "gateway side" is the acceptor.
        var (backendService, backendGateway) = await InMemoryPair.StartAsync(onDialerRequest: s => _ = Task.Run(async () =>
        {
            var data = new byte[chunk];
            for (int i = 0; i < chunks; i++)
            {
                data.AsSpan().Fill((byte)i);
                await s.WriteAsync(1, data);
            }

            s.Complete(CallStatus.Exit(0));
        }));
        MuxConnection? gatewayFront = null;
        var relayed = new TaskCompletionSource<CallStatus>();
        var (client, front) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
            relayed.TrySetResult(await Relay.RunAsync(s, backendGateway, s.Header, deadline: null))));
        gatewayFront = front;

        var stream = await client.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true);
        long received = 0;
        CallStatus status;
        while (true)
        {
            var item = await stream.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (item.Kind == StreamEventKind.Status)
            {
                status = item.Status;
                break;
            }

            var span = item.Data.Span;
            for (int i = 0; i < span.Length; i++)
            {
                Assert.Equal((byte)((received + i) / chunk), span[i]);
            }

            received += span.Length;
            stream.Release(item);
        }

        Assert.Equal(CallStatus.Exit(0), status);
        Assert.Equal((long)chunk * chunks, received);
        Assert.Equal(CallStatus.Exit(0), await relayed.Task);
        await client.DisposeAsync();
        await gatewayFront.DisposeAsync();
        await backendService.DisposeAsync();
        await backendGateway.DisposeAsync();
    }
}
