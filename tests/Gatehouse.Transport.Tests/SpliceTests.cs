using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// <see cref="MuxSplice"/> between two real connection pairs (client -> relay -> service), as the
/// gateway uses it, with windows small enough that both directions keep falling back to the backlog.
/// </summary>
public class SpliceTests
{
    private static readonly ProtocolSettings Small = ProtocolSettings.Default with { InitialStreamWindow = 4096, ConnectionWindow = 65_536, MaxFrameSize = 16_384 };

    /// <summary>Service handler: stdin copied to stdout, a line on stderr, exit 7.</summary>
    private static void Echo(MuxStream s) => _ = Task.Run(async () =>
    {
        while (true)
        {
            var item = await s.ReadAsync();
            if (item.Kind == StreamEventKind.EndOfInput)
            {
                break;
            }

            try
            {
                await s.WriteAsync(1, item.Data);
            }
            finally
            {
                s.Release(item);
            }
        }

        await s.WriteAsync(2, "done"u8.ToArray());
        s.Complete(CallStatus.Exit(7));
    });

    [Fact]
    public async Task Every_byte_crosses_in_order_both_ways_with_backlogs_and_one_status()
    {
        var (relayDialer, service) = await InMemoryPair.StartAsync(MuxOptionsWith(Small), MuxOptionsWith(Small), onAcceptorRequest: Echo);
        var splices = new List<MuxSplice>();
        var (client, relayAcceptor) = await InMemoryPair.StartAsync(MuxOptionsWith(Small), MuxOptionsWith(Small) with { DispatchInline = true }, onAcceptorRequest: caller =>
        {
            // As the gateway's fast path does: on the read loop, no waiting.
            bool noStdin = caller.TryPeek(out var first) && first.Kind == StreamEventKind.EndOfInput;
            var upstream = relayDialer.TryOpenStream(caller.Header, noStdin) ?? throw new InvalidOperationException("no slot");
            lock (splices)
            {
                splices.Add(MuxSplice.Start(caller, upstream, noStdin));
            }
        });
        await using var c1 = client;
        await using var c2 = relayAcceptor;
        await using var c3 = relayDialer;
        await using var c4 = service;

        var payload = new byte[300_000];
        new Random(42).NextBytes(payload);
        var calls = Enumerable.Range(0, 4).Select(async _ =>
        {
            var (stream, sent) = await client.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "echo" }, payload, endStream: true);

            // Stdin is written while output is read (an echo through windows this small would
            // otherwise deadlock by design, as through any flow-controlled pipe).
            var writing = sent < payload.Length ? stream.WriteAsync(0, payload.AsMemory(sent), endStream: true).AsTask() : Task.CompletedTask;

            // A slow reader: the relay must hold the service back, not buffer without bound.
            var output = new Dictionary<int, MemoryStream>();
            while (true)
            {
                var item = await stream.ReadAsync();
                if (item.Kind == StreamEventKind.Status)
                {
                    await writing;
                    return (output, item.Status);
                }

                await Task.Yield();
                if (!output.TryGetValue(item.OutStream, out var ms))
                {
                    output[item.OutStream] = ms = new MemoryStream();
                }

                ms.Write(item.Data.Span);
                stream.Release(item);
            }
        }).ToList();

        foreach (var (output, status) in await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(CallStatus.Exit(7), status);
            Assert.Equal(payload, output[1].ToArray());
            Assert.Equal("done"u8.ToArray(), output[2].ToArray());
        }

        Assert.Equal(4, splices.Count);
        foreach (var splice in splices)
        {
            Assert.Equal(CallStatus.Exit(7), await splice.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task A_cancel_from_the_caller_reaches_upstream_and_its_status_comes_back()
    {
        var aborted = new TaskCompletionSource<ErrorCode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (relayDialer, service) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            await s.WriteAsync(1, "started"u8.ToArray());
            try
            {
                await Task.Delay(Timeout.Infinite, s.Aborted);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult(s.CancelCode);
                s.Complete(CallStatus.Error(s.CancelCode ?? ErrorCode.Cancelled, "stopped"));
            }
        }));
        var (client, relayAcceptor) = await InMemoryPair.StartAsync(acceptor: new MuxOptions { DispatchInline = true }, onAcceptorRequest: caller =>
        {
            var upstream = relayDialer.TryOpenStream(caller.Header, endStream: true) ?? throw new InvalidOperationException("no slot");
            MuxSplice.Start(caller, upstream, inputEnded: true);
        });
        await using var c1 = client;
        await using var c2 = relayAcceptor;
        await using var c3 = relayDialer;
        await using var c4 = service;

        var stream = await client.OpenStreamAsync(new RequestHeader { Domain = "d", Command = "wait" }, endStream: true);
        var first = await stream.ReadAsync();
        Assert.Equal(StreamEventKind.Data, first.Kind);
        stream.Release(first);
        stream.Cancel(ErrorCode.Cancelled);

        Assert.Equal(ErrorCode.Cancelled, await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        var end = await stream.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StreamEventKind.Status, end.Kind);
        Assert.True(end.Status.IsError);
        Assert.Equal(ErrorCode.Cancelled, end.Status.ErrorCode);
    }

    private static MuxOptions MuxOptionsWith(ProtocolSettings settings) => new() { Settings = settings };
}
