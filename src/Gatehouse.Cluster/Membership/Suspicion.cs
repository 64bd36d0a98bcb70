namespace Gatehouse.Cluster.Membership;

/// <summary>
/// Lifeguard's suspicion timer for one suspected member. It starts at <c>max</c> and shrinks towards
/// <c>min</c> as independent members confirm the suspicion:
/// <c>timeout = max - (max - min) x log(c + 1) / log(k + 1)</c> for c of k expected confirmations.
/// The first accuser is not a confirmation; each other accuser counts once.
/// </summary>
internal sealed class Suspicion : IDisposable
{
    private readonly HashSet<string> _accusers = new(StringComparer.Ordinal);
    private readonly int _expected;
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly long _started;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private int _confirmations;

    public Suspicion(string firstAccuser, int expectedConfirmations, TimeSpan min, TimeSpan max, TimeProvider time, TimerCallback onTimeout, object state)
    {
        _accusers.Add(firstAccuser);
        _expected = expectedConfirmations;
        _min = min;
        _max = expectedConfirmations < 1 ? min : max;
        _time = time;
        _started = time.GetTimestamp();
        _timer = time.CreateTimer(onTimeout, state, _max, Timeout.InfiniteTimeSpan);
    }

    public int Confirmations => _confirmations;

    /// <summary>Current total timeout (from the start of the suspicion).</summary>
    public TimeSpan CurrentTimeout => Compute(_confirmations);

    /// <summary>Records an accusation from <paramref name="accuser"/>; true when it was a new confirmation (worth re-gossiping).</summary>
    public bool Confirm(string accuser)
    {
        if (_confirmations >= _expected || !_accusers.Add(accuser))
        {
            return false;
        }

        _confirmations++;
        TimeSpan remaining = Compute(_confirmations) - _time.GetElapsedTime(_started);
        _timer.Change(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, System.Threading.Timeout.InfiniteTimeSpan);
        return true;
    }

    public void Dispose() => _timer.Dispose();

    private TimeSpan Compute(int confirmations)
    {
        if (_expected < 1)
        {
            return _min;
        }

        double fraction = Math.Log(confirmations + 1.0) / Math.Log(_expected + 1.0);
        TimeSpan t = _max - ((_max - _min) * fraction);
        return t < _min ? _min : t;
    }
}
