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
    private MuxConnection? _dialer;
    private MuxConnection? _acceptor;

    [GlobalSetup]
    public void Setup()
    {
        (_dialer, _acceptor) = InMemoryConnections.Pair(null, null, onDialerRequest: null, onAcceptorRequest: s => _ = InMemoryConnections.RespondAsync(s));
        Task.WhenAll(_dialer.StartAsync(), _acceptor.StartAsync()).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dialer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _acceptor?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public Task<int> RoundTrip() => InMemoryConnections.CallAsync(_dialer!, Request);
}
