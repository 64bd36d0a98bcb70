using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Transport.Internal;

/// <summary>
/// Takes a stream's inbound events directly, in place of its queue (see <see cref="MuxSplice"/>).
/// Called in order, one at a time: by the connection's read loop (frames written meanwhile are
/// sent once the read is processed, <see cref="FlushBatch"/>), or, once, by
/// <see cref="MuxStream.AttachSink"/> for the events queued before it.
/// </summary>
internal interface IStreamSink
{
    /// <summary>DATA arrived; <paramref name="data"/> is valid only during the call.</summary>
    void OnData(MuxStream source, byte outStream, in ReadOnlySequence<byte> data);

    /// <summary>The requester ended stdin (responder side).</summary>
    void OnEndOfInput(MuxStream source);

    /// <summary>The final status (requester side); nothing follows.</summary>
    void OnStatus(MuxStream source, in CallStatus status);

    /// <summary>The stream was cancelled by the requester or lost its connection.</summary>
    void OnAborted(MuxStream source);
}
