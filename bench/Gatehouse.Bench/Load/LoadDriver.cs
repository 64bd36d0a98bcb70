using System.Diagnostics;

namespace Gatehouse.Bench.Load;

/// <summary>
/// The in-process load generator (runs in the runner process): closed-loop workers, each with one
/// request outstanding, so <c>inFlight</c> workers keep exactly that many requests in flight.
/// </summary>
public static class LoadDriver
{
    /// <summary>Runs <paramref name="call"/> one at a time, recording each latency.</summary>
    /// <param name="call">One request; returns the payload bytes received.</param>
    public static async Task<Measurement> SequentialAsync(Func<Task<int>> call, int maxCount, TimeSpan maxTime, CancellationToken cancellationToken)
    {
        var latencies = new double[maxCount];
        long bytes = 0;
        int n = 0;
        long start = Stopwatch.GetTimestamp();
        long stopAt = start + (long)(maxTime.TotalSeconds * Stopwatch.Frequency);
        long now = start;
        while (n < maxCount && now < stopAt)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            bytes += await call();
            now = Stopwatch.GetTimestamp();
            latencies[n++] = (now - t0) * 1e6 / Stopwatch.Frequency;
        }

        var sorted = latencies[..n];
        Array.Sort(sorted);
        return new Measurement(n, bytes, Stopwatch.GetElapsedTime(start, now), sorted);
    }

    /// <summary>Keeps <paramref name="inFlight"/> calls outstanding for <paramref name="duration"/>.</summary>
    public static async Task<Measurement> ClosedLoopAsync(Func<Task<int>> call, int inFlight, TimeSpan duration, CancellationToken cancellationToken)
    {
        long operations = 0;
        long bytes = 0;
        long start = Stopwatch.GetTimestamp();
        long stopAt = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        async Task Worker()
        {
            long ops = 0, received = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                cancellationToken.ThrowIfCancellationRequested();
                received += await call();
                ops++;
            }

            Interlocked.Add(ref operations, ops);
            Interlocked.Add(ref bytes, received);
        }

        var workers = new Task[inFlight];
        for (int i = 0; i < inFlight; i++)
        {
            workers[i] = Task.Run(Worker, cancellationToken);
        }

        await Task.WhenAll(workers);
        return new Measurement(operations, bytes, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>Times one streaming call.</summary>
    public static async Task<Measurement> StreamAsync(Func<long, Task<long>> stream, long bytes)
    {
        long start = Stopwatch.GetTimestamp();
        long received = await stream(bytes);
        if (received != bytes)
        {
            throw new InvalidOperationException($"stream delivered {received} of {bytes} bytes");
        }

        return new Measurement(1, received, Stopwatch.GetElapsedTime(start));
    }
}
