using Gatehouse.Protocol;

namespace Gatehouse.Transport.Mux;

/// <summary>Told once when a <see cref="MuxSplice"/>'s upstream status arrived; it then answers the caller.</summary>
public interface ISpliceCompletion
{
    /// <summary>
    /// Upstream's final status arrived, on the read loop that delivered it: must not block. The
    /// caller's stream has not been answered by the splice; this sends its status.
    /// </summary>
    void OnSpliceFinished(MuxSplice splice, CallStatus status);
}
