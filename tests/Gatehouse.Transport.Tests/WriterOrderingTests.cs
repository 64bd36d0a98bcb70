using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// Frames of one stream must leave in the order they were written, even when the transport's flush
/// keeps pending (a slow network) and many writers race the flush loop.
/// </summary>
public class WriterOrderingTests
{
    [Fact]
    public async Task Many_concurrent_streams_keep_their_byte_order_while_flushes_pend()
    {
        const int streams = 32;
        const int chunks = 64;
        const int chunk = 3_000;
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            var data = new byte[chunk];
            for (int i = 0; i < chunks; i++)
            {
                data.AsSpan().Fill((byte)i);
                await s.WriteAsync(1, data);
                if (i % 7 == 0)
                {
                    await Task.Yield();
                }
            }

            s.Complete(CallStatus.Exit(0));
        }), pauseWriterThreshold: 1_024);
        await using var _d = d;
        await using var _a = a;
        for (int round = 0; round < 5; round++)
        {
            var calls = await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
            {
                var stream = await d.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "c" }, endStream: true);
                return await MuxStreamTests.ReadAllAsync(stream);
            })).WaitAsync(TimeSpan.FromSeconds(60));
            foreach (var (output, status) in calls)
            {
                Assert.Equal(CallStatus.Exit(0), status);
                byte[] all = output[1].ToArray();
                Assert.Equal(chunk * chunks, all.Length);
                for (int i = 0; i < all.Length; i++)
                {
                    if (all[i] != (byte)(i / chunk))
                    {
                        Assert.Fail($"round {round}: byte {i} of a stream came from chunk {all[i]}, expected {i / chunk}");
                    }
                }
            }
        }
    }
}
