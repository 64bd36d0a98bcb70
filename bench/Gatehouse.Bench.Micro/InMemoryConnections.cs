using System.IO.Pipelines;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Bench.Micro;

/// <summary>What the in-process benchmarks share: connections over in-memory pipes, one request read to its end, a 64-byte answer.</summary>
internal static class InMemoryConnections
{
    public static readonly byte[] Reply = new byte[64];

    /// <summary>A dialer and an acceptor joined by unbounded in-memory pipes (not started).</summary>
    public static (MuxConnection Dialer, MuxConnection Acceptor) Pair(MuxOptions? dialer, MuxOptions? acceptor, Action<MuxStream>? onDialerRequest, Action<MuxStream>? onAcceptorRequest)
    {
        var options = new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);
        var ab = new Pipe(options);
        var ba = new Pipe(options);
        return (new MuxConnection(new Duplex(ba.Reader, ab.Writer), isDialer: true, dialer, onRequest: onDialerRequest),
                new MuxConnection(new Duplex(ab.Reader, ba.Writer), isDialer: false, acceptor, onRequest: onAcceptorRequest));
    }

    /// <summary>Sends one request with no input and reads its output to the status; returns the bytes received.</summary>
    public static async Task<int> CallAsync(MuxConnection connection, RequestHeader request)
    {
        var stream = await connection.OpenStreamAsync(request, endStream: true);
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

    /// <summary>A responder that answers 64 bytes and exit 0.</summary>
    public static async Task RespondAsync(MuxStream stream)
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
