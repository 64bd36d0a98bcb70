namespace Gatehouse.Cli.Fanout;

/// <summary>
/// Sends this command's standard input to every node (clush's stdin forwarding), read once and in
/// chunks of <see cref="ChunkSize"/>: a chunk is read only after every node took the previous one,
/// so the slowest node's flow control paces the reading and at most one chunk is held in memory,
/// whatever the input's size. Reading starts when every node has either started its call
/// (<see cref="Join"/>) or given up (<see cref="Leave"/>). A node whose call ends or fails while
/// taking input is dropped from the broadcast (its status says why); the rest go on. At the end of
/// the input every node's stdin is ended.
/// </summary>
internal sealed class StdinBroadcast(Stream input, int expected) : IStdinSource
{
    private readonly int _expected = expected;

    /// <summary>Bytes read and sent at a time.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly List<IStdinTarget> _targets = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private int _pending = expected;

    /// <summary>A node's call started and takes stdin.</summary>
    public void Join(IStdinTarget target)
    {
        lock (_lock)
        {
            _targets.Add(target);
        }

        Arrived();
    }

    /// <summary>A node will not take stdin (it could not be reached, or failed before its call started).</summary>
    public void Leave() => Arrived();

    private void Arrived()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>Waits for every node, then copies the input to them until it ends or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (_expected == 0)
        {
            return;
        }

        await _ready.Task.WaitAsync(cancellationToken);
        IStdinTarget[] targets;
        lock (_lock)
        {
            targets = [.. _targets];
        }

        var live = new List<IStdinTarget>(targets);
        byte[] buffer = new byte[ChunkSize];
        while (live.Count > 0)
        {
            int read = await input.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            var chunk = buffer.AsMemory(0, read);
            bool[] ok = await Task.WhenAll(live.Select(t => SendAsync(t, chunk, cancellationToken)));
            live = [.. live.Where((_, i) => ok[i])];
        }

        await Task.WhenAll(live.Select(t => EndAsync(t, cancellationToken)));
    }

    private static async Task<bool> SendAsync(IStdinTarget target, ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        try
        {
            // The data is copied into the connection's frames before this completes, so the buffer can be reused.
            await target.WriteAsync(chunk, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false; // the node's call ended (its status says why): it gets no more input
        }
    }

    private static async Task EndAsync(IStdinTarget target, CancellationToken cancellationToken)
    {
        try
        {
            await target.CompleteAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The call already ended: nothing to close.
        }
    }
}
