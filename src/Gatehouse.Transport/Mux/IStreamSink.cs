using System.Buffers;
using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Takes a stream's inbound events directly, in place of its queue (see <see cref="MuxSplice"/>).
/// Called in order, one at a time: by the connection's read loop (with its <see cref="FlushBatch"/>),
/// or, once, by <see cref="MuxStream.AttachSink"/> for the events queued before it (batch null).
/// </summary>
internal interface IStreamSink
{
    /// <summary>DATA arrived; <paramref name="data"/> is valid only during the call.</summary>
    void OnData(MuxStream source, byte outStream, in ReadOnlySequence<byte> data, FlushBatch? batch);

    /// <summary>The requester ended stdin (responder side).</summary>
    void OnEndOfInput(MuxStream source, FlushBatch? batch);

    /// <summary>The final status (requester side); nothing follows.</summary>
    void OnStatus(MuxStream source, in CallStatus status, FlushBatch? batch);

    /// <summary>The stream was cancelled by the requester or lost its connection.</summary>
    void OnAborted(MuxStream source);
}
