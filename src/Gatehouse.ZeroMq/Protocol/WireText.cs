using System.Text;

namespace Gatehouse.ZeroMq.Protocol;

/// <summary>Renders peer bytes for error messages: printable ASCII kept, the rest escaped, truncated.</summary>
internal static class WireText
{
    private const int MaxShown = 32;

    public static string Describe(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length + 2);
        builder.Append('"');
        var shown = Math.Min(bytes.Length, MaxShown);
        for (var i = 0; i < shown; i++)
        {
            var b = bytes[i];
            if (b is >= 0x20 and < 0x7f && b != (byte)'"' && b != (byte)'\\')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        builder.Append('"');
        if (bytes.Length > MaxShown)
        {
            builder.Append("... (").Append(bytes.Length).Append(" bytes)");
        }

        return builder.ToString();
    }
}
