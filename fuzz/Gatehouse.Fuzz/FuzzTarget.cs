namespace Gatehouse.Fuzz;

/// <summary>
/// One fuzz target: a parser entry point driven by arbitrary bytes. <see cref="Run"/> feeds the
/// input to the parser and checks the properties the parser promises (round trips, split buffers
/// giving the same result as one buffer); <see cref="IsExpected"/> names the typed, documented
/// errors the parser raises for bad input. Any other exception escaping <see cref="Run"/> is a
/// crash (docs/fuzzing.md).
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>The name used on the command line, by fuzz/run.sh and for fuzz/corpus/NAME.</summary>
    public abstract string Name { get; }

    /// <summary>What the target drives, for <c>list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Parses <paramref name="input"/> and checks the parser's promises.</summary>
    public abstract void Run(ReadOnlySpan<byte> input);

    /// <summary>True for the documented error the parser raises for malformed input.</summary>
    public abstract bool IsExpected(Exception exception);

    /// <summary>Small valid and near-valid inputs written by <c>seeds</c> into fuzz/corpus/NAME.</summary>
    public abstract IEnumerable<(string Name, byte[] Data)> Seeds();
}
