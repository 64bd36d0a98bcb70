using System.Buffers;
using System.Text;
using System.Text.Json;
using Gatehouse.Gateway.Audit;

namespace Gatehouse.Gateway.Tests;

/// <summary>The audit file's lines are valid JSON whatever a caller puts in its names and arguments.</summary>
public class AuditJsonTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("quote \" and backslash \\")]
    [InlineData("control \u0001\u001f and newline \n")]
    [InlineData("ünïcödé ✓ and emoji 🚀")]
    [InlineData("")]
    [InlineData("</script><!-- html -->")]
    public void Any_string_round_trips_through_a_line_of_valid_json(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var json = new AuditJson(buffer);
        var time = new DateTimeOffset(2026, 12, 2, 4, 5, 6, 789, TimeSpan.Zero);
        json.Start();
        json.Time("time"u8, time);
        json.String("value"u8, value);
        json.Number("count"u8, -42L);
        json.Number("ms"u8, 1.23456);
        json.End();

        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Assert.EndsWith("}\n", line, StringComparison.Ordinal);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal(value, doc.RootElement.GetProperty("value").GetString());
        Assert.Equal(time, doc.RootElement.GetProperty("time").GetDateTimeOffset());
        Assert.Equal(-42, doc.RootElement.GetProperty("count").GetInt64());
        Assert.Equal(1.235, doc.RootElement.GetProperty("ms").GetDouble());
    }
}
