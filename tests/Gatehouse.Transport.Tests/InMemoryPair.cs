using System.IO.Pipelines;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Tests;

// Shared with Gatehouse.Gateway.Tests (linked file).

/// <summary>Two connected in-memory duplex pipes (no TLS, no sockets) for fast protocol tests.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    /// <param name="pauseWriterThreshold">0: writers never wait; small values make flushes pend, as a slow network does.</param>
    public static (DuplexPipe A, DuplexPipe B) CreatePair(long pauseWriterThreshold = 0)
    {
        var options = new PipeOptions(pauseWriterThreshold: pauseWriterThreshold, resumeWriterThreshold: pauseWriterThreshold / 2, useSynchronizationContext: false);
        var ab = new Pipe(options);
        var ba = new Pipe(options);
        return (new DuplexPipe(ba.Reader, ab.Writer), new DuplexPipe(ab.Reader, ba.Writer));
    }
}

internal static class InMemoryPair
{
    /// <summary>A dialer and an acceptor connection, both started.</summary>
    public static async Task<(MuxConnection Dialer, MuxConnection Acceptor)> StartAsync(MuxOptions? dialer = null, MuxOptions? acceptor = null, Action<MuxStream>? onAcceptorRequest = null, Action<MuxStream>? onDialerRequest = null, long pauseWriterThreshold = 0)
    {
        var (a, b) = DuplexPipe.CreatePair(pauseWriterThreshold);
        var d = new MuxConnection(a, isDialer: true, dialer, onRequest: onDialerRequest);
        var c = new MuxConnection(b, isDialer: false, acceptor, onRequest: onAcceptorRequest);
        await Task.WhenAll(d.StartAsync(), c.StartAsync());
        return (d, c);
    }
}
