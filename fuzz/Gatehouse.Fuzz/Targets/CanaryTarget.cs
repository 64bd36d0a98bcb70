namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>canary</c>: not a parser. It throws an <see cref="IndexOutOfRangeException"/> for any input
/// starting with <c>GH</c>; its seed is <c>GI</c>, one bit away ('I' is 0x49, 'H' 0x48), so a
/// short afl run finds the crash within a few hundred executions even on a loaded machine (with
/// <c>Gx</c>, two bits away, a 10-second run under load once missed it):
/// the tests use it to prove that fuzz/run.sh really detects and reports crashes. Not part of
/// <c>all</c>.
/// </summary>
internal sealed class CanaryTarget : FuzzTarget
{
    public override string Name => "canary";

    public override string Description => "self-test: crashes on input starting with 'GH' (not in 'all')";

    public override bool IsExpected(Exception exception) => exception is FormatException;

    public override void Run(ReadOnlySpan<byte> input) => CanaryBug.Check(input);

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        yield return ("seed", "GI"u8.ToArray());
    }
}

/// <summary>
/// The canary's code, the only part of the harness fuzz/run.sh instruments (instrumented code must
/// not run before the fork server starts, so it lives apart from the target's constructor).
/// </summary>
internal static class CanaryBug
{
    /// <summary>Throws <see cref="FormatException"/> for <c>G?</c> and the planted bug for <c>GH</c>.</summary>
    public static void Check(ReadOnlySpan<byte> input)
    {
        if (input.Length >= 2 && input[0] == (byte)'G')
        {
            if (input[1] == (byte)'H')
            {
                int[] empty = [];
                _ = empty[input.Length]; // the planted bug
            }

            throw new FormatException("not the magic");
        }
    }
}
