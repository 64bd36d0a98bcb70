using System.Globalization;
using System.Text;

namespace Gatehouse.ZeroMq.Protocol;

/// <summary>Seed 004 writes every integer as a decimal ASCII string; this reads and writes them.</summary>
internal static class DecimalAscii
{
    internal enum ParseResult
    {
        Ok,
        NotANumber,
        OutOfRange,
    }

    /// <summary>
    /// Parses <c>-?[0-9]+</c> into a 32-bit integer. Leading zeros are allowed; '+', spaces and any
    /// other byte are not. Returns <see cref="ParseResult.OutOfRange"/> when the digits are valid
    /// but the value does not fit in an <see cref="int"/>.
    /// </summary>
    public static ParseResult TryParseInt32(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        var negative = !text.IsEmpty && text[0] == (byte)'-';
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty)
        {
            return ParseResult.NotANumber;
        }

        long magnitude = 0;
        var overflow = false;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return ParseResult.NotANumber;
            }

            if (!overflow)
            {
                magnitude = (magnitude * 10) + (b - '0');
                overflow = magnitude > 1L + int.MaxValue;
            }
        }

        var signed = negative ? -magnitude : magnitude;
        if (overflow || signed is > int.MaxValue or < int.MinValue)
        {
            return ParseResult.OutOfRange;
        }

        value = (int)signed;
        return ParseResult.Ok;
    }

    /// <summary>Formats <paramref name="value"/> as decimal ASCII bytes.</summary>
    public static byte[] Format(int value) => Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));
}
