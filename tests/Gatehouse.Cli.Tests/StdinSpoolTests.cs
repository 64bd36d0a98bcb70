using System.IO.Pipelines;
using System.Security.Cryptography;
using Gatehouse.Cli.Fanout;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// <see cref="StdinSpool"/> in process, fast (the real command is in <see cref="StdinCliTests"/>):
/// nodes joining at any time get the whole input from its start, and an input that fails is never
/// passed on as if it were whole.
/// </summary>
public sealed class StdinSpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-spool-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A node's call: keeps what it is sent, says when it ended or was aborted.</summary>
    private sealed class Target : IStdinTarget
    {
        private readonly MemoryStream _received = new();

        public TaskCompletionSource<bool> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously); // true: completed; false: aborted

        public long Count
        {
            get
            {
                lock (_received)
                {
                    return _received.Length;
                }
            }
        }

        public byte[] Received
        {
            get
            {
                lock (_received)
                {
                    return _received.ToArray();
                }
            }
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            lock (_received)
            {
                _received.Write(data.Span);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            Ended.TrySetResult(true);
            return ValueTask.CompletedTask;
        }

        public void Abort() => Ended.TrySetResult(false);
    }

    private sealed class FailingInput(byte[] first) : Stream
    {
        private bool _gave;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_gave)
            {
                throw new IOException("Input/output error");
            }

            _gave = true;
            first.CopyTo(buffer);
            return ValueTask.FromResult(first.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task Nodes_joining_before_during_and_after_the_input_each_get_all_of_it_from_its_start()
    {
        var pipe = new Pipe();
        await using var spool = StdinSpool.Create(pipe.Reader.AsStream(), _dir);
        Assert.Empty(Directory.GetFileSystemEntries(_dir)); // unlinked at once
        var reading = spool.RunAsync(CancellationToken.None);
        var data = RandomNumberGenerator.GetBytes(1_000_003);

        var early = new Target();
        spool.Join(early);
        await pipe.Writer.WriteAsync(data.AsMemory(0, 300_000));
        await WaitUntilAsync(() => early.Count == 300_000);

        var during = new Target(); // joins while the input is open: gets the first 300,000 bytes from the spool, then follows
        spool.Join(during);
        await WaitUntilAsync(() => during.Count == 300_000);
        Assert.False(during.Ended.Task.IsCompleted);

        await pipe.Writer.WriteAsync(data.AsMemory(300_000));
        await pipe.Writer.CompleteAsync();
        await reading.WaitAsync(TimeSpan.FromSeconds(30));
        var after = new Target(); // joins once the input has ended
        spool.Join(after);

        foreach (var target in new[] { early, during, after })
        {
            Assert.True(await target.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(data, target.Received);
        }

        Assert.Null(spool.Failure);
    }

    [Fact]
    public async Task An_input_that_fails_aborts_every_node_instead_of_ending_its_input_and_says_why()
    {
        await using var spool = StdinSpool.Create(new FailingInput([1, 2, 3]), _dir);
        var running = new Target();
        spool.Join(running);
        await spool.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var later = new Target();
        spool.Join(later);

        Assert.False(await running.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(await later.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("reading standard input failed: Input/output error", spool.Failure);
    }

    [Fact]
    public async Task The_spool_is_made_with_mode_0600_and_unlinked_at_once()
    {
        await using var spool = StdinSpool.Create(Stream.Null, _dir);
        Assert.StartsWith(Path.Combine(_dir, "gatehouse-stdin-"), spool.SpoolPath, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
        string fd = Directory.GetFiles("/proc/self/fd").First(f => new FileInfo(f).LinkTarget == spool.SpoolPath + " (deleted)");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fd));
    }
}
