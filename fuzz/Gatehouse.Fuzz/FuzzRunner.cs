namespace Gatehouse.Fuzz;

/// <summary>
/// Runs one input through a target: expected (documented) errors are swallowed, anything else
/// escapes, and so does an input that allocates more than <see cref="AllocationBudget"/> bytes
/// (a runaway allocation the limits should have stopped).
/// </summary>
internal static class FuzzRunner
{
    /// <summary>Largest allocation one input may cause. Inputs are at most a few KiB (afl's default cap is 1 MiB).</summary>
    public const long AllocationBudget = 64L * 1024 * 1024;

    /// <summary>Runs <paramref name="input"/> through <paramref name="target"/>.</summary>
    /// <exception cref="Exception">Whatever unexpected exception the target let escape.</exception>
    /// <exception cref="FuzzInvariantException">A property was broken or the input allocated too much.</exception>
    public static void Run(FuzzTarget target, ReadOnlySpan<byte> input)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            target.Run(input);
        }
        catch (Exception e) when (target.IsExpected(e))
        {
            // The parser rejected the input with its documented error: the outcome we want.
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBudget)
        {
            throw new FuzzInvariantException($"{target.Name}: a {input.Length}-byte input allocated {allocated} bytes (budget {AllocationBudget})");
        }
    }
}
