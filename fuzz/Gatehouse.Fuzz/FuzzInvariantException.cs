namespace Gatehouse.Fuzz;

/// <summary>
/// A target found a property broken (a round trip that does not give back the input, a split
/// buffer that parses differently, a runaway allocation). Never expected: it is reported as a crash.
/// </summary>
internal sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException() { }

    public FuzzInvariantException(string message) : base(message) { }

    public FuzzInvariantException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(what);
        }
    }
}
