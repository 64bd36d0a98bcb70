using System.Buffers;
using System.Security.Cryptography;
using Gatehouse.Cli.CommandLine;
using Microsoft.Win32.SafeHandles;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// <c>--stdin</c> for a fan-out that calls its nodes a batch at a time (more nodes than <c>-f</c>):
/// this command's standard input is read once, in chunks of <see cref="ChunkSize"/>, and appended to a
/// private spool file; every node's call reads the spool from offset 0 and sends it on at its own
/// pace (its flow control), following the writer while the input is still open. The nodes running
/// now get each chunk as soon as it is read; nodes started later get the same bytes from the start.
/// <para>
/// The spool is made in <c>$TMPDIR</c> (else <c>/tmp</c>) with mode 0600 and a random name, opened
/// exclusively, and unlinked at once: only this process's open handle keeps it, so it disappears when
/// the command exits, however it exits. It grows to the size of the input; memory holds at most one
/// chunk per node whose call is taking input, plus the reader's.
/// </para>
/// <para>
/// When the input cannot be read or the spool cannot be written (a full disk), the input can no
/// longer reach every node whole: each call that takes it is cancelled (never given a truncated
/// input as if complete), and <see cref="Failure"/> says why, for one line at the end.
/// </para>
/// </summary>
internal sealed class StdinSpool : IStdinSource, IAsyncDisposable
{
    /// <summary>Bytes read from stdin, and sent to a node, at a time.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly Stream _input;
    private readonly FileStream _file;
    private readonly SafeFileHandle _handle;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task> _pumps = [];

    // Guarded by _lock: what the writer has published to the readers.
    private long _length;
    private bool _ended;
    private string? _failure;
    private TaskCompletionSource _grew = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StdinSpool(Stream input, FileStream file, string path)
    {
        _input = input;
        _file = file;
        _handle = file.SafeFileHandle;
        SpoolPath = path;
    }

    /// <summary>Where the spool was made (already unlinked); for messages.</summary>
    public string SpoolPath { get; }

    /// <summary>Why the input could not reach every node whole; null while all is well.</summary>
    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _failure;
            }
        }
    }

    /// <summary>Makes the spool file in <paramref name="directory"/> (default: <see cref="Path.GetTempPath"/>, which honours <c>$TMPDIR</c>) and unlinks it.</summary>
    /// <exception cref="CliException">The file cannot be made (exit 1), before any node is called.</exception>
    public static StdinSpool Create(Stream input, string? directory = null)
    {
        string dir = directory ?? Path.GetTempPath();
        string path = Path.Combine(dir, "gatehouse-stdin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        FileStream file;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, // O_EXCL: never an existing file or a planted symlink
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            file = new FileStream(path, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--stdin: cannot make a spool file in {dir} (set TMPDIR to a writable directory): {ex.Message}", ExitCodes.Failure, ex);
        }

        try
        {
            File.Delete(path); // the open handle keeps the data; nothing is left behind at exit
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            file.Dispose();
            throw new CliException($"--stdin: cannot unlink the spool file {path}: {ex.Message}", ExitCodes.Failure, ex);
        }

        return new StdinSpool(input, file, path);
    }

    /// <summary>A node's call started: it gets the whole input from the spool, from the start.</summary>
    public void Join(IStdinTarget target)
    {
        lock (_lock)
        {
            _pumps.Add(PumpAsync(target));
        }
    }

    /// <summary>Nothing to do: the spool does not wait for nodes.</summary>
    public void Leave()
    {
    }

    /// <summary>Reads the input into the spool until it ends, fails, or <paramref name="cancellationToken"/> (or disposal) stops it.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        byte[] buffer = new byte[ChunkSize];
        long length = 0; // this loop is the only writer
        while (true)
        {
            int read;
            try
            {
                read = await _input.ReadAsync(buffer, stop.Token);
            }
            catch (IOException ex)
            {
                Fail($"reading standard input failed: {ex.Message}");
                return;
            }

            if (read == 0)
            {
                Publish(length, ended: true);
                return;
            }

            try
            {
                await RandomAccess.WriteAsync(_handle, buffer.AsMemory(0, read), length, stop.Token);
            }
            catch (IOException ex)
            {
                Fail($"cannot write the spool file in {Path.GetDirectoryName(SpoolPath)}: {ex.Message}");
                return;
            }
            catch (ObjectDisposedException) when (stop.IsCancellationRequested)
            {
                return; // the fan-out is over and the spool closed while this chunk was being written
            }

            length += read;
            Publish(length, ended: false);
        }
    }

    private void Publish(long length, bool ended)
    {
        TaskCompletionSource grew;
        lock (_lock)
        {
            _length = length;
            _ended = ended;
            grew = _grew;
            _grew = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        grew.TrySetResult();
    }

    private void Fail(string why)
    {
        TaskCompletionSource grew;
        lock (_lock)
        {
            _failure ??= why;
            grew = _grew;
        }

        grew.TrySetResult();
    }

    /// <summary>Sends the spool to one call from offset 0, following the writer, then ends its stdin.</summary>
    private async Task PumpAsync(IStdinTarget target)
    {
        await Task.Yield(); // the node's runner goes on reading its output
        var ct = _stop.Token;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            long offset = 0;
            while (!ct.IsCancellationRequested)
            {
                long length;
                bool ended;
                string? failure;
                Task grew;
                lock (_lock)
                {
                    (length, ended, failure, grew) = (_length, _ended, _failure, _grew.Task);
                }

                if (failure is not null)
                {
                    target.Abort();
                    return;
                }

                if (offset < length)
                {
                    int read;
                    try
                    {
                        read = await RandomAccess.ReadAsync(_handle, buffer.AsMemory(0, (int)Math.Min(ChunkSize, length - offset)), offset, ct);
                    }
                    catch (IOException ex)
                    {
                        Fail($"cannot read the spool file back: {ex.Message}");
                        continue;
                    }

                    if (read == 0)
                    {
                        Fail("the spool file is shorter than what was written to it");
                        continue;
                    }

                    await target.WriteAsync(buffer.AsMemory(0, read), ct);
                    offset += read;
                }
                else if (ended)
                {
                    await target.CompleteAsync(ct);
                    return;
                }
                else
                {
                    await grew.WaitAsync(ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The fan-out is over (or interrupted): nothing more to send.
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The node's call ended while taking input (its status says why): it gets no more.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Stops the reader and every node's sending, then closes the spool (already unlinked).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] pumps;
        lock (_lock)
        {
            pumps = [.. _pumps];
        }

        // Each pump ends at once on cancellation; the bound only guards against a stuck write.
        await Task.WhenAny(Task.WhenAll(pumps), Task.Delay(TimeSpan.FromSeconds(1)));
        if (pumps.All(p => p.IsCompleted))
        {
            await _file.DisposeAsync();
            _stop.Dispose();
        }
    }
}
