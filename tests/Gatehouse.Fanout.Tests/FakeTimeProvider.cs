using System.Threading.Channels;

namespace Gatehouse.Fanout.Tests;

/// <summary>
/// A manual clock: time moves only in <see cref="Advance"/>, which fires the timers that came due.
/// Every new timer is announced on <see cref="TimerCreated"/> so a test can wait for the code under
/// test to start waiting, then jump the clock exactly to the due time. No real sleeping.
/// </summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<FakeTimer> _timers = [];
    private readonly Channel<FakeTimer> _created = Channel.CreateUnbounded<FakeTimer>();
    private DateTimeOffset _now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>Timers as they are created (only those with a finite due time).</summary>
    public ChannelReader<FakeTimer> TimerCreated => _created.Reader;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Waits for <paramref name="task"/>, jumping the clock to each new timer's due time as soon as
    /// the code under test starts waiting on it. Fails after 30 s of real time (a hang guard).
    /// </summary>
    public async Task<T> DriveAsync<T>(Task<T> task)
    {
        var guard = Task.Delay(TimeSpan.FromSeconds(30));
        while (!task.IsCompleted)
        {
            var next = TimerCreated.ReadAsync().AsTask();
            var first = await Task.WhenAny(task, next, guard);
            if (first == guard)
            {
                throw new TimeoutException("The code under test neither finished nor started a timer within 30 s");
            }

            if (first == next)
            {
                Advance((await next).DueIn);
            }
        }

        return await task;
    }

    /// <summary>Moves the clock forward, firing due timers in due-time order.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_lock)
        {
            target = _now + by;
        }

        while (true)
        {
            FakeTimer? next;
            lock (_lock)
            {
                next = _timers.Where(t => t.Due <= target).MinBy(t => t.Due);
                if (next is null)
                {
                    _now = target;
                    return;
                }

                _now = next.Due!.Value;
                _timers.Remove(next);
                if (next.Period is { } period)
                {
                    next.Due = _now + period;
                    _timers.Add(next);
                }
                else
                {
                    next.Due = null;
                }
            }

            next.Fire();
        }
    }

    private void Schedule(FakeTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        bool announce;
        lock (_lock)
        {
            _timers.Remove(timer);
            announce = dueTime != Timeout.InfiniteTimeSpan;
            timer.Due = announce ? _now + dueTime : null;
            timer.Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            if (announce)
            {
                _timers.Add(timer);
            }
        }

        if (announce)
        {
            _created.Writer.TryWrite(timer);
        }
    }

    private void Unschedule(FakeTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
            timer.Due = null;
        }
    }

    /// <summary>A timer of <see cref="FakeTimeProvider"/>.</summary>
    internal sealed class FakeTimer(FakeTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        /// <summary>When it fires next; null when not scheduled.</summary>
        public DateTimeOffset? Due { get; set; }

        public TimeSpan? Period { get; set; }

        /// <summary>How far in the future it is due, from the current fake time.</summary>
        public TimeSpan DueIn => (Due ?? owner.GetUtcNow()) - owner.GetUtcNow();

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Unschedule(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
