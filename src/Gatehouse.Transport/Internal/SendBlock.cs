namespace Gatehouse.Transport.Internal;

/// <summary>Why a DATA write stopped short of its payload.</summary>
internal enum SendBlock : byte
{
    /// <summary>Nothing: everything was written.</summary>
    None,

    /// <summary>The stream's send window is empty (woken by that stream's WINDOW_UPDATE).</summary>
    StreamWindow,

    /// <summary>The connection's send window is empty (woken by a WINDOW_UPDATE on stream 0).</summary>
    ConnectionWindow,

    /// <summary><see cref="Mux.MuxOptions.MaxBufferedOutput"/> bytes are queued (woken when a send completes).</summary>
    BufferFull,

    /// <summary>The shared <see cref="Mux.BufferBudget"/> is spent (woken when another connection frees some).</summary>
    Budget,
}
