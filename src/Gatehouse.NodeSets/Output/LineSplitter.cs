using System.Text;

namespace Gatehouse.NodeSets;

/// <summary>
/// Splits output bytes into lines: <c>\n</c> ends a line and one <c>\r</c> before it is dropped, so
/// <c>\r\n</c> and <c>\n</c> read alike; a last line without a newline still counts; empty output has
/// no lines. Bytes are decoded as UTF-8, invalid sequences becoming U+FFFD.
/// </summary>
internal static class LineSplitter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static List<string> Split(ReadOnlySpan<byte> output)
    {
        var lines = new List<string>();
        while (!output.IsEmpty)
        {
            int newline = output.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? output : output[..newline];
            lines.Add(Decode(line));
            output = newline < 0 ? [] : output[(newline + 1)..];
        }

        return lines;
    }

    /// <summary>Decodes one line, dropping a trailing carriage return.</summary>
    public static string Decode(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        return Utf8.GetString(line);
    }
}
