namespace Gatehouse.Chaos.Ledger;

/// <summary>Where a call goes and how it is made.</summary>
public enum CallTarget
{
    /// <summary>The chaos service's <c>echo</c>, through <c>GatehouseClient.CallAsync</c> (whole result at once).</summary>
    Service,

    /// <summary>The same command through <c>StartCallAsync</c>, reading output chunks as they come.</summary>
    ServiceStreaming,

    /// <summary>The remctl.conf exec command (a process the gateway spawns).</summary>
    Exec,
}

/// <summary>
/// What call number <see cref="Id"/> does, derived from the seed and the id alone (so the report
/// can recompute it for any id without storing it).
/// </summary>
/// <param name="Id">The call's unique id, also its argument: the backend echoes it and logs it.</param>
/// <param name="Target">Service (collected or streamed) or exec.</param>
/// <param name="HasDeadline">True for about half the calls: they carry the configured deadline.</param>
/// <param name="Idempotent">True for about one call in ten: the client may retry it after a backend saw it.</param>
/// <param name="DelayMs">How long the service holds the call (0 for most; up to 20 ms for one in twenty), so kills catch calls mid-run.</param>
public readonly record struct CallPlan(long Id, CallTarget Target, bool HasDeadline, bool Idempotent, int DelayMs)
{
    /// <summary>The plan of call <paramref name="id"/> in a run with <paramref name="seed"/>.</summary>
    public static CallPlan For(int seed, long id, double execShare)
    {
        ulong h = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)id);
        double u = (Mix(h) >> 11) * (1.0 / (1UL << 53));
        var target = u < execShare ? CallTarget.Exec : (h & 0x7) == 0 ? CallTarget.ServiceStreaming : CallTarget.Service;
        bool deadline = ((h >> 3) & 1) == 0;
        bool idempotent = ((h >> 4) & 0xF) < 2;
        int delay = ((h >> 8) & 0x1F) == 0 ? 1 + (int)((h >> 40) % 20) : 0;
        return new CallPlan(id, target, deadline, idempotent, target == CallTarget.Exec ? 0 : delay);
    }

    // SplitMix64's finaliser: a well-spread 64-bit hash.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
