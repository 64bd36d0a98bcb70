namespace Gatehouse.Fuzz.Tests;

/// <summary>
/// Replays each target's committed seed corpus (fuzz/corpus/TARGET) and committed crash
/// reproducers (fuzz/crashes/TARGET) in-process: none may raise anything but the parser's
/// documented error, break a property the target checks, or exceed the allocation budget.
/// </summary>
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets() => Repository.Targets();

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_committed_corpus_and_crash_reproducers_raise_only_the_documented_error(string name)
    {
        var target = FuzzTargets.Find(name)!;
        string corpus = Path.Combine(Repository.Root, "fuzz", "corpus", name);
        string crashes = Path.Combine(Repository.Root, "fuzz", "crashes", name);
        Assert.NotEmpty(Replay.Inputs(corpus));
        Assert.True(Replay.Inputs(corpus).Count < 100, "keep seed corpora small");

        var (failures, count) = Replay.Run(target, [corpus, crashes]);

        Assert.True(count >= Replay.Inputs(corpus).Count);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Select(f => $"{f.File}: {f.Exception}")));
    }

    [Fact]
    public void Every_target_has_a_seed_corpus_and_the_canary_is_not_among_the_targets()
    {
        var names = FuzzTargets.All.Select(t => t.Name).ToList();
        Assert.Equal(12, names.Count);
        Assert.DoesNotContain("canary", names);
        foreach (string name in names)
        {
            Assert.True(Directory.Exists(Path.Combine(Repository.Root, "fuzz", "corpus", name)), name);
        }
    }

    [Fact]
    public void Replay_reports_the_canary_crash_as_an_unexpected_exception()
    {
        string dir = Directory.CreateTempSubdirectory("gatehouse-canary-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "magic"), "GH"u8.ToArray());
            File.WriteAllBytes(Path.Combine(dir, "expected-error"), "Gx"u8.ToArray());
            File.WriteAllBytes(Path.Combine(dir, "other"), "abc"u8.ToArray());

            var (failures, count) = Replay.Run(FuzzTargets.Canary, [dir]);

            Assert.Equal(3, count);
            var failure = Assert.Single(failures);
            Assert.EndsWith("magic", failure.File, StringComparison.Ordinal);
            Assert.IsType<IndexOutOfRangeException>(failure.Exception);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_input_over_the_allocation_budget_is_reported()
    {
        var target = new AllocatingTarget();
        var e = Assert.Throws<FuzzInvariantException>(() => FuzzRunner.Run(target, [1]));
        Assert.Contains("allocated", e.Message, StringComparison.Ordinal);
        FuzzRunner.Run(target, [0]); // a small allocation is fine
    }

    private sealed class AllocatingTarget : FuzzTarget
    {
        public override string Name => "allocating";

        public override string Description => "allocates more than the budget when the input is 1";

        public override bool IsExpected(Exception exception) => false;

        public override void Run(ReadOnlySpan<byte> input)
        {
            for (int i = 0; i < (input[0] == 1 ? 80 : 1); i++)
            {
                GC.KeepAlive(new byte[1024 * 1024]);
            }
        }

        public override IEnumerable<(string Name, byte[] Data)> Seeds() => [];
    }
}
