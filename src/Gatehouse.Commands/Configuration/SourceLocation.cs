namespace Gatehouse.Commands.Configuration;

/// <summary>Where a configuration line came from.</summary>
/// <param name="FileName">The file name as it was given (or as the include directive named it).</param>
/// <param name="LineNumber">The 1-based number of the first physical line of the logical line.</param>
public readonly record struct SourceLocation(string FileName, int LineNumber)
{
    /// <inheritdoc />
    public override string ToString() => $"{FileName}:{LineNumber}";
}
