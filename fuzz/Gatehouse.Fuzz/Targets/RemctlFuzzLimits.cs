using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// What the remctl targets share: the first input byte picks small limits (8 arguments, 256 bytes)
/// or remctld's defaults, and a parsed command must respect them.
/// </summary>
internal readonly record struct RemctlFuzzLimits(int MaxArguments, long MaxBytes)
{
    /// <summary>Bit 0: default argument count limit; bit 1: default byte limit.</summary>
    public static RemctlFuzzLimits From(byte selector) => new(
        (selector & 1) == 0 ? 8 : RemctlLimits.DefaultMaxArguments,
        (selector & 2) == 0 ? 256 : RemctlLimits.DefaultMaxCommandBytes);

    /// <summary>A parsed command has 1 to <see cref="MaxArguments"/> arguments of at most <see cref="MaxBytes"/> in all.</summary>
    public void Check(IReadOnlyList<ReadOnlyMemory<byte>> arguments)
    {
        FuzzInvariantException.Check(arguments.Count is > 0 && arguments.Count <= MaxArguments, $"{arguments.Count} arguments (limit {MaxArguments})");
        FuzzInvariantException.Check(arguments.Sum(a => (long)a.Length) <= MaxBytes, "more argument bytes than the limit");
    }
}
