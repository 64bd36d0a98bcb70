using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

public class MuxStreamTests
{
    private static RequestHeader Req(string command = "c") => new() { Domain = "d", Command = command };

    /// <summary>Reads every event of a requester stream: output bytes by stream number and the status.</summary>
    internal static async Task<(Dictionary<int, MemoryStream> Output, CallStatus Status)> ReadAllAsync(MuxStream stream)
    {
        var output = new Dictionary<int, MemoryStream>();
        while (true)
        {
            var item = await stream.ReadAsync();
            if (item.Kind == StreamEventKind.Status)
            {
                return (output, item.Status);
            }

            if (!output.TryGetValue(item.OutStream, out var ms))
            {
                output[item.OutStream] = ms = new MemoryStream();
            }

            ms.Write(item.Data.Span);
            stream.Release(item);
        }
    }

    [Fact]
    public async Task Request_with_stdin_and_output_round_trips()
    {
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            var stdin = new MemoryStream();
            while (true)
            {
                var item = await s.ReadAsync();
                if (item.Kind == StreamEventKind.EndOfInput)
                {
                    break;
                }

                stdin.Write(item.Data.Span);
                s.Release(item);
            }

            await s.WriteAsync(1, Encoding.UTF8.GetBytes("got " + Encoding.UTF8.GetString(stdin.ToArray())));
            await s.WriteAsync(2, "warn"u8.ToArray());
            s.Complete(CallStatus.Exit(3));
        }));
        await using var _d = d;
        await using var _a = a;
        var stream = await d.OpenStreamAsync(Req(), endStream: false);
        await stream.WriteAsync(0, "hello "u8.ToArray());
        await stream.WriteAsync(0, "world"u8.ToArray(), endStream: true);
        var (output, status) = await ReadAllAsync(stream);
        Assert.Equal(CallStatus.Exit(3), status);
        Assert.Equal("got hello world", Encoding.UTF8.GetString(output[1].ToArray()));
        Assert.Equal("warn", Encoding.UTF8.GetString(output[2].ToArray()));
        Assert.Equal(1u, stream.Id);
        Assert.Equal(0, d.OpenStreamCount);
    }

    [Theory]
    [InlineData(65_536, 0)]
    [InlineData(100_000, 0)]
    [InlineData(1_000, 0)]
    [InlineData(65_536, 16_384)]
    [InlineData(1_000, 4_096)]
    public async Task Large_output_written_from_a_reused_buffer_arrives_intact_and_in_order(int chunk, long pauseWriterThreshold)
    {
        const int chunks = 200;
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            var data = new byte[chunk];
            for (int i = 0; i < chunks; i++)
            {
                data.AsSpan().Fill((byte)i);
                await s.WriteAsync(1, data);
            }

            s.Complete(CallStatus.Exit(0));
        }), pauseWriterThreshold: pauseWriterThreshold);
        await using var _d = d;
        await using var _a = a;
        var stream = await d.OpenStreamAsync(Req(), endStream: true);
        var (output, status) = await ReadAllAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CallStatus.Exit(0), status);
        byte[] all = output[1].ToArray();
        Assert.Equal(chunk * chunks, all.Length);
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i] != (byte)(i / chunk))
            {
                Assert.Fail($"byte {i}: expected {(byte)(i / chunk)} got {all[i]}");
            }
        }
    }

    [Fact]
    public async Task Either_side_opens_streams_with_its_own_parity()
    {
        var (d, a) = await InMemoryPair.StartAsync(
            onAcceptorRequest: s => s.Complete(CallStatus.Exit(1)),
            onDialerRequest: s => s.Complete(CallStatus.Exit(2)));
        await using var _d = d;
        await using var _a = a;
        var fromDialer = await d.OpenStreamAsync(Req(), true);
        var fromAcceptor = await a.OpenStreamAsync(Req(), true);
        Assert.Equal(1u, fromDialer.Id);
        Assert.Equal(2u, fromAcceptor.Id);
        Assert.Equal(CallStatus.Exit(1), (await ReadAllAsync(fromDialer)).Status);
        Assert.Equal(CallStatus.Exit(2), (await ReadAllAsync(fromAcceptor)).Status);
    }
}
