namespace Gatehouse.Transport.Internal;

/// <summary>A writer waiting for send credit or buffer room (a <see cref="Mux.MuxStream"/>).</summary>
internal interface ICreditWaiter
{
    /// <summary>Wakes the waiting writer, which checks its windows again. Called without any lock held.</summary>
    void WakeWriter();
}
