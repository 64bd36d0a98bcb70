using System.Text;

namespace Gatehouse.Fuzz;

/// <summary>Turns fuzz bytes into the text and lines the file parsers read.</summary>
internal static class TextInput
{
    /// <summary>Decodes UTF-8 as <c>File.ReadAllText</c> does (invalid bytes become U+FFFD, a leading BOM is dropped).</summary>
    public static string Decode(ReadOnlySpan<byte> input)
    {
        if (input.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            input = input[3..];
        }

        return Encoding.UTF8.GetString(input);
    }

    /// <summary>Splits text into lines as <c>File.ReadLines</c> does (\n, \r\n or \r).</summary>
    public static List<string> Lines(string text)
    {
        var lines = new List<string>();
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
