using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Gatehouse.Fanout.Tests;

/// <summary>
/// A fake clock (Microsoft.Extensions.TimeProvider.Testing's <see cref="FakeTimeProvider"/>) that also
/// announces every timer with a finite due time as it is created, so a test can wait for the code
/// under test to start waiting, then jump the clock exactly to the due time. No real sleeping.
/// </summary>
internal sealed class DrivenClock : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public DrivenClock() : base(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>The due time (from its creation) of each timer created, in order.</summary>
    public ChannelReader<TimeSpan> TimerCreated => _created.Reader;

    /// <summary>Every due time announced so far (the backoff delays, for the retry tests).</summary>
    public List<TimeSpan> Waits { get; } = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (Waits)
            {
                Waits.Add(dueTime);
            }

            _created.Writer.TryWrite(dueTime);
        }

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
                Advance(await next);
            }
        }

        return await task;
    }

    /// <inheritdoc cref="DriveAsync{T}(Task{T})" />
    public async Task DriveAsync(Task task) => await DriveAsync(task.ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }, TaskScheduler.Default));
}
