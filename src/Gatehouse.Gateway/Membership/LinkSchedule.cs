using Gatehouse.Transport.Connections;

namespace Gatehouse.Gateway.Membership;

/// <summary>
/// When this gateway may dial a member again (Stalwart's RPC link rules): after a failed connection
/// attempt, not before a truncated exponential, jittered backoff (<see cref="Backoff"/>, from
/// <see cref="ConnectionOptions.InitialBackoff"/> up to <see cref="ConnectionOptions.MaxBackoff"/>);
/// after <see cref="ConnectionOptions.MaxRetries"/> failed reconnection attempts in a row, not at
/// all until gossip reports the member alive again (<see cref="MemberAlive"/>). A connection that
/// works resets it. Thread-safe; driven by a <see cref="TimeProvider"/> so tests can run the schedule
/// on a fake clock.
/// </summary>
internal sealed class LinkSchedule(ConnectionOptions options, TimeProvider time, Random? random = null)
{
    private readonly Backoff _backoff = new(options, random);
    private readonly object _lock = new();
    private readonly Dictionary<string, State> _members = new(StringComparer.Ordinal);

    private sealed class State
    {
        public int Failures;
        public long NotBefore;
        public bool GaveUp;
    }

    /// <summary>Null when <paramref name="member"/> may be dialled now; otherwise why not (one line, for the caller's error).</summary>
    public string? Refusal(string member)
    {
        lock (_lock)
        {
            if (!_members.TryGetValue(member, out var s))
            {
                return null;
            }

            if (s.GaveUp)
            {
                return $"{s.Failures} connection attempts failed; not dialled again until gossip reports it alive";
            }

            var wait = TimeSpan.FromTicks(Math.Max(0, s.NotBefore - time.GetUtcNow().UtcTicks));
            return wait > TimeSpan.Zero ? $"{s.Failures} connection attempt(s) failed; next attempt in {wait.TotalSeconds:0.#} s" : null;
        }
    }

    /// <summary>A connection attempt failed: schedules the next one (or gives up after the last retry).</summary>
    /// <returns>The delay before the next attempt; null when it gave up.</returns>
    public TimeSpan? Failed(string member)
    {
        lock (_lock)
        {
            if (!_members.TryGetValue(member, out var s))
            {
                s = new State();
                _members[member] = s;
            }

            s.Failures++;
            if (s.Failures > options.MaxRetries)
            {
                s.GaveUp = true;
                return null;
            }

            var delay = _backoff.Delay(s.Failures - 1);
            s.NotBefore = time.GetUtcNow().UtcTicks + delay.Ticks;
            return delay;
        }
    }

    /// <summary>A connection worked: the member may be dialled any time.</summary>
    public void Succeeded(string member)
    {
        lock (_lock)
        {
            _members.Remove(member);
        }
    }

    /// <summary>Gossip reports the member alive (again, or restarted): the attempts start over.</summary>
    public void MemberAlive(string member) => Succeeded(member);

    /// <summary>Forgets a member (revoked).</summary>
    public void Forget(string member) => Succeeded(member);
}
