namespace Gatehouse.Gateway;

/// <summary>
/// Requests in progress for one principal over all its connections, checked against
/// <see cref="GatewayLimits.MaxRequestsPerPrincipal"/>. One object per principal, shared by its
/// sessions, so a request costs two interlocked operations and no lookup.
/// </summary>
public sealed class PrincipalLoad
{
    private int _inFlight;

    /// <summary>Requests in progress now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot unless <paramref name="max"/> are in progress (0: no cap).</summary>
    public bool TryEnter(int max)
    {
        if (Interlocked.Increment(ref _inFlight) <= max || max <= 0)
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/>.</summary>
    public void Exit() => Interlocked.Decrement(ref _inFlight);
}
