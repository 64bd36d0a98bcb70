using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

/// <summary>
/// The end of a stream is signalled by the stream's own API: a read past the last event returns a
/// Status event (the close reason, or <see cref="MuxStream.StreamEnded"/>), never an exception;
/// <see cref="MuxStream.ReadToStatusAsync"/> is the one "read until STATUS" loop.
/// </summary>
public class StreamEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static RequestHeader Req() => new() { Domain = "d", Command = "c" };

    [Fact]
    public async Task A_responder_reading_stdin_when_the_connection_dies_gets_a_status_with_the_close_reason()
    {
        var read = new TaskCompletionSource<StreamEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () => read.TrySetResult(await s.ReadAsync())));
        await using var _a = a;
        await using (d)
        {
            _ = await d.OpenStreamAsync(Req(), endStream: false);
            await WaitUntilAsync(() => a.OpenStreamCount == 1);
            await d.AbortAsync(CallStatus.Error(ErrorCode.Overloaded, "going away for a test"));
        }

        var item = await read.Task.WaitAsync(Timeout);
        Assert.Equal(StreamEventKind.Status, item.Kind);
        Assert.Equal(ErrorCode.Overloaded, item.Status.ErrorCode);
        Assert.Equal("going away for a test", item.Status.Message);
    }

    [Fact]
    public async Task A_responder_reading_after_its_own_status_gets_stream_ended()
    {
        var read = new TaskCompletionSource<StreamEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s =>
        {
            s.Complete(CallStatus.Exit(0));
            _ = Task.Run(async () => read.TrySetResult(await s.ReadAsync()));
        });
        await using var _d = d;
        await using var _a = a;
        var stream = await d.OpenStreamAsync(Req(), endStream: false);
        Assert.Equal(CallStatus.Exit(0), await stream.ReadToStatusAsync().AsTask().WaitAsync(Timeout));
        var item = await read.Task.WaitAsync(Timeout);
        Assert.Equal(StreamEventKind.Status, item.Kind);
        Assert.Equal(MuxStream.StreamEnded, item.Status);
    }

    [Fact]
    public async Task A_requester_reading_past_its_status_gets_a_status_again_and_never_an_exception()
    {
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => s.Complete(CallStatus.Exit(5)));
        await using var _a = a;
        var stream = await d.OpenStreamAsync(Req(), endStream: true);
        Assert.Equal(CallStatus.Exit(5), await stream.ReadToStatusAsync().AsTask().WaitAsync(Timeout));
        var past = await stream.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal(StreamEventKind.Status, past.Kind);
        Assert.Equal(MuxStream.StreamEnded, past.Status);
        Assert.Equal(MuxStream.StreamEnded, await stream.ReadToStatusAsync().AsTask().WaitAsync(Timeout));

        await d.AbortAsync(CallStatus.Error(ErrorCode.ShuttingDown, "bye"));
        Assert.Equal(CallStatus.Error(ErrorCode.ShuttingDown, "bye"), await stream.ReadToStatusAsync().AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Read_to_status_hands_every_output_chunk_over_in_order_and_releases_its_credit()
    {
        // Four windows of output: the responder would stall if consumed chunks did not return credit.
        const int window = 16_384;
        var payload = new byte[4 * window];
        new Random(7).NextBytes(payload);
        var options = new MuxOptions { Settings = ProtocolSettings.Default with { InitialStreamWindow = window } };
        var (d, a) = await InMemoryPair.StartAsync(dialer: options, onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            await s.WriteAsync(1, payload);
            await s.WriteAsync(2, "warn"u8.ToArray());
            s.Complete(CallStatus.Exit(3));
        }));
        await using var _d = d;
        await using var _a = a;
        var stream = await d.OpenStreamAsync(Req(), endStream: true);
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var status = await stream.ReadToStatusAsync((item, _) =>
        {
            (item.OutStream == 1 ? stdout : stderr).Write(item.Data.Span);
            return ValueTask.CompletedTask;
        }).AsTask().WaitAsync(Timeout);
        Assert.Equal(CallStatus.Exit(3), status);
        Assert.Equal(payload, stdout.ToArray());
        Assert.Equal("warn", Encoding.UTF8.GetString(stderr.ToArray()));
        Assert.Equal(0, d.InboundHeld);
    }

    [Fact]
    public async Task Read_to_status_returns_the_close_reason_when_the_connection_dies_before_the_status()
    {
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: _ => { });
        await using var _d = d;
        var stream = await d.OpenStreamAsync(Req(), endStream: true);
        var reading = stream.ReadToStatusAsync().AsTask();
        await WaitUntilAsync(() => a.OpenStreamCount == 1);
        await a.AbortAsync(CallStatus.Error(ErrorCode.BackendFailed, "backend crashed"));
        await a.DisposeAsync();
        var status = await reading.WaitAsync(Timeout);
        Assert.Equal(ErrorCode.BackendFailed, status.ErrorCode);
        Assert.Equal("backend crashed", status.Message);
    }

    [Fact]
    public async Task Read_to_status_releases_the_chunk_when_the_callback_throws()
    {
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            await s.WriteAsync(1, new byte[1000]);
            s.Complete(CallStatus.Exit(0));
        }));
        await using var _d = d;
        await using var _a = a;
        var stream = await d.OpenStreamAsync(Req(), endStream: true);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await stream.ReadToStatusAsync((_, _) => throw new InvalidDataException()).AsTask().WaitAsync(Timeout));
        Assert.Equal(0, d.InboundHeld);
    }

    [Fact]
    public async Task Stdin_as_a_stream_ends_with_zero_when_the_connection_dies_mid_input()
    {
        var got = new TaskCompletionSource<(string Text, int Last)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (d, a) = await InMemoryPair.StartAsync(onAcceptorRequest: s => _ = Task.Run(async () =>
        {
            using var input = new MuxInputStream(s, CancellationToken.None);
            var buffer = new byte[100];
            int n = await input.ReadAsync(buffer);
            got.TrySetResult((Encoding.UTF8.GetString(buffer, 0, n), await input.ReadAsync(buffer)));
        }));
        await using var _a = a;
        await using (d)
        {
            var stream = await d.OpenStreamAsync(Req(), endStream: false);
            await stream.WriteAsync(0, "partial"u8.ToArray());
            await WaitUntilAsync(() => a.InboundHeld == 0 && a.OpenStreamCount == 1);
            await Task.Delay(50);
            await d.AbortAsync(CallStatus.Error(ErrorCode.ShuttingDown, "bye"));
        }

        var (text, last) = await got.Task.WaitAsync(Timeout);
        Assert.Equal("partial", text);
        Assert.Equal(0, last);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Timeout, "condition not reached in time");
            await Task.Delay(5);
        }
    }
}
