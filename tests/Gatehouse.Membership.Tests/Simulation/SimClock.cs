namespace Gatehouse.Membership.Tests.Simulation;

/// <summary>
/// Virtual time for the simulator: a priority queue of events run on the caller's thread in (time,
/// sequence) order. Nothing runs until <see cref="RunUntil"/> or <see cref="RunFor"/> advances it; no
/// real time, no thread pool. Events belong to a <see cref="SimHost"/>; a stalled host's events wait
/// until its stall ends, then run in their original order (like a process resumed after SIGSTOP).
/// </summary>
public sealed class SimClock : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly PriorityQueue<SimEvent, (long Time, long Seq)> _queue = new();
    private long _seq;

    /// <summary>Virtual ticks (100 ns) since the start.</summary>
    public long Now { get; private set; }

    /// <summary>Virtual time since the start.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Now);

    /// <summary>Events run so far.</summary>
    public long EventsRun { get; private set; }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromTicks(Now);

    /// <inheritdoc/>
    public override long GetTimestamp() => Now;

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new SimTimer(this, null, callback, state, dueTime, period);

    /// <summary>A view of this clock whose timers belong to <paramref name="host"/> (stall with it).</summary>
    public TimeProvider For(SimHost host) => new HostClock(this, host);

    /// <summary>Runs <paramref name="action"/> at <paramref name="delay"/> from now, owned by <paramref name="host"/> (null: no owner).</summary>
    public void Schedule(TimeSpan delay, SimHost? host, Action action) =>
        Enqueue(Now + Math.Max(0, delay.Ticks), new SimEvent(host, action, null, 0));

    /// <summary>Runs events until virtual time <paramref name="until"/> (ticks since start).</summary>
    public void RunUntil(long until)
    {
        while (_queue.TryPeek(out SimEvent? e, out var key) && key.Time <= until)
        {
            _queue.Dequeue();
            Now = Math.Max(Now, key.Time);
            if (e.Host is { } h && h.StalledUntil > Now)
            {
                Enqueue(h.StalledUntil, e);
                continue;
            }

            EventsRun++;
            if (e.Timer is { } t)
            {
                t.Fire(e.Generation);
            }
            else
            {
                e.Action!();
            }
        }

        Now = Math.Max(Now, until);
    }

    /// <summary>Runs events for <paramref name="span"/> of virtual time.</summary>
    public void RunFor(TimeSpan span) => RunUntil(Now + span.Ticks);

    /// <summary>Runs until <paramref name="condition"/> holds (checked every <paramref name="step"/>) or <paramref name="limit"/> passes; returns whether it held.</summary>
    public bool RunUntil(Func<bool> condition, TimeSpan limit, TimeSpan? step = null)
    {
        long end = Now + limit.Ticks;
        long stride = (step ?? TimeSpan.FromMilliseconds(100)).Ticks;
        while (!condition())
        {
            if (Now >= end)
            {
                return false;
            }

            RunUntil(Math.Min(end, Now + stride));
        }

        return true;
    }

    private void Enqueue(long time, SimEvent e) => _queue.Enqueue(e, (time, _seq++));

    private sealed record SimEvent(SimHost? Host, Action? Action, SimTimer? Timer, long Generation);

    private sealed class HostClock(SimClock clock, SimHost host) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override long GetTimestamp() => clock.Now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new SimTimer(clock, host, callback, state, dueTime, period);
    }

    private sealed class SimTimer : ITimer
    {
        private readonly SimClock _clock;
        private readonly SimHost? _host;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private long _generation;
        private TimeSpan _period;
        private bool _disposed;

        public SimTimer(SimClock clock, SimHost? host, TimerCallback callback, object? state, TimeSpan due, TimeSpan period)
        {
            _clock = clock;
            _host = host;
            _callback = callback;
            _state = state;
            Change(due, period);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }

            _generation++;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                _clock.Enqueue(_clock.Now + Math.Max(0, dueTime.Ticks), new SimEvent(_host, null, this, _generation));
            }

            return true;
        }

        public void Fire(long generation)
        {
            if (_disposed || generation != _generation)
            {
                return;
            }

            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                _clock.Enqueue(_clock.Now + _period.Ticks, new SimEvent(_host, null, this, _generation));
            }

            _callback(_state);
        }

        public void Dispose()
        {
            _disposed = true;
            _generation++;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A simulated machine: up or down, possibly stalled; its events run only when it runs.</summary>
public sealed class SimHost
{
    /// <summary>False after a crash, until a restart.</summary>
    public bool Up { get; set; } = true;

    /// <summary>Virtual ticks until which nothing of this host runs (0: not stalled).</summary>
    public long StalledUntil { get; set; }

    /// <summary>Which run of the process this is; datagrams addressed to an older run are lost.</summary>
    public int Generation { get; set; }
}
