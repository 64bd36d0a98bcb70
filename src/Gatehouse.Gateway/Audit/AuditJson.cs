using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gatehouse.Gateway.Audit;

/// <summary>
/// Writes one audit record as a line of JSON. Most values are printable ASCII with nothing to escape
/// (fingerprints, addresses, names, outcomes): those are copied as they are; any other string goes
/// through <see cref="JsonEncodedText"/>, so the output is always valid JSON. (Utf8JsonWriter costs
/// about a microsecond per record here, most of what the audit trail would cost a request.)
/// </summary>
internal sealed class AuditJson(ArrayBufferWriter<byte> output)
{
    // Printable ASCII except '"' and '\\': copied without escaping.
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        string.Concat(Enumerable.Range(0x20, 0x7f - 0x20).Select(c => (char)c).Where(c => c is not '"' and not '\\')));

    private bool _first = true;

    public void Start()
    {
        Raw("{"u8);
        _first = true;
    }

    public void End() => Raw("}\n"u8);

    public void String(ReadOnlySpan<byte> name, string value)
    {
        Name(name);
        Raw("\""u8);
        if (value.AsSpan().IndexOfAnyExcept(Plain) < 0)
        {
            var span = output.GetSpan(value.Length);
            int n = Encoding.ASCII.GetBytes(value, span);
            output.Advance(n);
        }
        else
        {
            Raw(JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
        }

        Raw("\""u8);
    }

    public void Time(ReadOnlySpan<byte> name, DateTimeOffset value)
    {
        Name(name);
        Raw("\""u8);
        var span = output.GetSpan(40);
        value.TryFormat(span, out int n, "O", CultureInfo.InvariantCulture);
        output.Advance(n);
        Raw("\""u8);
    }

    public void Number(ReadOnlySpan<byte> name, long value)
    {
        Name(name);
        var span = output.GetSpan(24);
        value.TryFormat(span, out int n, default, CultureInfo.InvariantCulture);
        output.Advance(n);
    }

    public void Number(ReadOnlySpan<byte> name, double value)
    {
        Name(name);
        var span = output.GetSpan(32);
        value.TryFormat(span, out int n, "0.###", CultureInfo.InvariantCulture);
        output.Advance(n);
    }

    private void Name(ReadOnlySpan<byte> name)
    {
        if (!_first)
        {
            Raw(","u8);
        }

        _first = false;
        Raw("\""u8);
        Raw(name);
        Raw("\":"u8);
    }

    private void Raw(ReadOnlySpan<byte> bytes) => output.Write(bytes);
}
