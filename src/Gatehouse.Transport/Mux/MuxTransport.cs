using System.IO.Pipelines;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// What a <see cref="MuxConnection"/> runs over: a <see cref="PipeReader"/> for incoming bytes, a
/// <see cref="Stream"/> its writer sends batches of frames to (an <c>SslStream</c>: each batch
/// becomes as few TLS records as its size allows), and how to close the output at the end.
/// </summary>
/// <param name="Input">Incoming bytes; the connection's read loop owns it.</param>
/// <param name="Output">Outgoing bytes; every write must reach the peer without a separate flush.</param>
/// <param name="CloseOutput">Called once, after the last frame was sent.</param>
/// <param name="Abort">Tears the transport down at once, ending a send stuck on a peer that stopped reading (null: only <paramref name="CloseOutput"/>).</param>
public sealed record MuxTransport(PipeReader Input, Stream Output, Func<ValueTask> CloseOutput, Action? Abort = null)
{
    /// <summary>Over a duplex pipe (in-memory tests, or any transport that is one).</summary>
    public static MuxTransport FromPipe(IDuplexPipe pipe) =>
        new(pipe.Input, pipe.Output.AsStream(leaveOpen: true), () => pipe.Output.CompleteAsync());

    /// <summary>
    /// Over a stream (an authenticated <c>SslStream</c>): reads through a pipe that holds no buffer
    /// while the connection is idle; writes go straight to the stream; closing sends TLS
    /// close_notify (the peer sees a clean end, not a cut) and disposes it.
    /// </summary>
    public static MuxTransport FromStream(Stream stream) =>
        new(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true)),
            stream,
            () => CloseAsync(stream),
            stream.Dispose);

    private static async ValueTask CloseAsync(Stream stream)
    {
        try
        {
            if (stream is System.Net.Security.SslStream ssl)
            {
                // A peer that stopped reading cannot hold the close: disposing below ends the write.
                // The shutdown's own task is always observed: after the 2 s wait gives up it may still
                // fail (OpenSSL reports a connection torn down mid-record as a crypto error), and an
                // unobserved failure would surface on the finalizer thread.
                var shutdown = ssl.ShutdownAsync();
                _ = shutdown.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                await shutdown.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // The socket is already gone (or stuck, or its TLS state broken); nothing more to tell the
            // peer. Every exception: the close notification is a courtesy, and OpenSSL reports a
            // connection torn down under it as .NET's internal Interop.OpenSsl.SslException (not an
            // IOException), which escaped here, faulted the connection's close and surfaced on the
            // finalizer thread as an unobserved task exception (seen in CI).
        }

        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
