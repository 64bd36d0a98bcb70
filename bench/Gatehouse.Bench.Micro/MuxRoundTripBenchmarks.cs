using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Bench.Micro;

/// <summary>
/// One request round trip between two <see cref="MuxConnection"/>s joined by in-memory pipes (no
/// TLS, no sockets): REQUEST (end of input) out; 64 B DATA and STATUS back. This is the cost of
/// the multiplexer itself, without the network.
/// </summary>
[MemoryDiagnoser]
public class MuxRoundTripBenchmarks
{
    private static readonly RequestHeader Request = new() { Domain = "bench", Command = "echo" };
    private static readonly byte[] Reply = new byte[64];
    private MuxConnection? _dialer;
    private MuxConnection? _acceptor;

    [GlobalSetup]
    public void Setup()
    {
        var options = new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);
        var ab = new Pipe(options);
        var ba = new Pipe(options);
        _dialer = new MuxConnection(new Duplex(ba.Reader, ab.Writer), isDialer: true);
        _acceptor = new MuxConnection(new Duplex(ab.Reader, ba.Writer), isDialer: false, onRequest: s => _ = RespondAsync(s));
        Task.WhenAll(_dialer.StartAsync(), _acceptor.StartAsync()).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dialer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _acceptor?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task<int> RoundTrip()
    {
        var stream = await _dialer!.OpenStreamAsync(Request, endStream: true);
        int received = 0;
        while (true)
        {
            var item = await stream.ReadAsync();
            if (item.Kind == StreamEventKind.Status)
            {
                return received;
            }

            received += item.Length;
            stream.Release(item);
        }
    }

    private static async Task RespondAsync(MuxStream stream)
    {
        await stream.WriteAsync(1, Reply);
        stream.Complete(CallStatus.Exit(0));
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
