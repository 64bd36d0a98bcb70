using Gatehouse.Commands.Exec;

namespace Gatehouse.Commands.Tests;

[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

/// <summary>Runs alone so that allocation counts are not polluted by other tests.</summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class BackpressureTests : IDisposable
{
    private const int Size = 64 * 1024 * 1024;
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public async Task Sixty_four_MiB_to_a_slow_consumer_stays_within_the_buffer_bound()
    {
        const int bufferSize = 64 * 1024;
        var meter = new OutputMeter();
        var runner = new CommandRunner(
            CommandConfiguration.Parse("big ALL /usr/bin/head ANYUSER", "t"),
            new CommandRunnerOptions { OutputBufferSize = bufferSize, Meter = meter });
        var consumer = new SlowCountingOutput();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        CommandOutcome outcome = await runner.RunAsync(Invocations.Make("big", "-c", Size.ToString(System.Globalization.CultureInfo.InvariantCulture), "/dev/zero"), null, consumer, CancellationToken.None);

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Assert.Equal(new CommandOutcome.Exited(0), outcome);
        Assert.Equal(Size, consumer.Total);
        Assert.Equal(Size, meter.Total);
        // The runner holds at most one buffer per stream: stdout and stderr.
        Assert.InRange(meter.Peak, 1, 2 * bufferSize);
        Assert.InRange(consumer.LargestChunk, 1, bufferSize);
        // Nothing is copied per chunk: far less than the 64 MiB that flowed through was allocated.
        Assert.True(allocated < 8 * 1024 * 1024, $"allocated {allocated} bytes while streaming {Size}");
        Assert.True(consumer.Delays > 100, "the consumer was not slow");
    }

    [Fact]
    public async Task A_stalled_consumer_blocks_the_program()
    {
        string done = Path.Combine(dir.Path, "done");
        string script = dir.Script("writer", $"head -c 8388608 /dev/zero; touch {done}");
        var runner = new CommandRunner(CommandConfiguration.Parse($"w ALL {script} ANYUSER", "t"));
        var consumer = new GatedOutput();
        Task<CommandOutcome> run = runner.RunAsync(Invocations.Make("w"), null, consumer, CancellationToken.None);

        await consumer.FirstChunk.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(1000);
        // 8 MiB cannot fit in the socket buffers: with nobody consuming, the program is stuck writing.
        Assert.False(File.Exists(done), "the program finished although nobody consumed its output");
        Assert.False(run.IsCompleted);

        consumer.Open();
        Assert.Equal(new CommandOutcome.Exited(0), await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(done));
        Assert.Equal(8388608, consumer.Total);
    }

    private sealed class SlowCountingOutput : ICommandOutput
    {
        public long Total { get; private set; }

        public int LargestChunk { get; private set; }

        public int Delays { get; private set; }

        public async ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Total += data.Length;
            LargestChunk = Math.Max(LargestChunk, data.Length);
            if (Total % (256 * 1024) < data.Length)
            {
                Delays++;
                await Task.Delay(1, cancellationToken);
            }
        }
    }

    private sealed class GatedOutput : ICommandOutput
    {
        private readonly TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstChunk => first.Task;

        public long Total { get; private set; }

        public void Open() => gate.TrySetResult();

        public async ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Total += data.Length;
            first.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }
    }
}
