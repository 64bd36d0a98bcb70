using System.Text;
using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.ZeroMq.Tests;

public class RequestEncoderTests
{
    private static readonly KeyValuePair<string, string>[] SeedEnvironment =
    [
        new("REMOTE_USER", "kula@TPROA.NET"),
        new("REMOTE_ADDR", "204.11.35.93"),
        new("REMOTE_HOST", "keymaster.tproa.net"),
        new("REMCTL_COMMAND", "test"),
    ];

    private static string[] AsText(byte[][] parts) => parts.Select(p => Encoding.UTF8.GetString(p)).ToArray();

    [Fact]
    public void Seed_example_in_long_form()
    {
        var parts = ZeroMqRequestEncoder.Encode(Bytes.Args("foo", "bar", "baz"), SeedEnvironment);

        Assert.Equal(
            "ARGUMENT|3|foo|bar|baz|ENVIRONMENT|4|REMOTE_USER|kula@TPROA.NET|REMOTE_ADDR|204.11.35.93|REMOTE_HOST|keymaster.tproa.net|REMCTL_COMMAND|test",
            string.Join('|', AsText(parts)));
    }

    [Fact]
    public void Short_form_uses_A_and_E()
    {
        var parts = ZeroMqRequestEncoder.Encode(Bytes.Args("x"), [new("K", "v")], ZeroMqTagForm.Short);

        Assert.Equal(["A", "1", "x", "E", "1", "K", "v"], AsText(parts));
    }

    [Fact]
    public void No_arguments_and_no_environment_still_send_both_sections()
    {
        var parts = ZeroMqRequestEncoder.Encode([], []);

        Assert.Equal(["ARGUMENT", "0", "ENVIRONMENT", "0"], AsText(parts));
    }

    [Fact]
    public void Arguments_are_binary_safe_and_copied()
    {
        var all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var source = new byte[] { 0xff, 0x00, 0xfe };
        var parts = ZeroMqRequestEncoder.Encode([all, ReadOnlyMemory<byte>.Empty, source.AsMemory(1, 2)], []);

        Assert.Equal(all, parts[2]);
        Assert.Empty(parts[3]);
        Assert.Equal(new byte[] { 0x00, 0xfe }, parts[4]);
        source[1] = 0x42;
        Assert.Equal(new byte[] { 0x00, 0xfe }, parts[4]);
    }

    [Fact]
    public void Environment_is_utf8()
    {
        var parts = ZeroMqRequestEncoder.Encode([], [new("REMOTE_USER", "jöhn@EXAMPLE.ORG")]);

        Assert.Equal(Encoding.UTF8.GetBytes("jöhn@EXAMPLE.ORG"), parts[5]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("A=B")]
    [InlineData("A\0B")]
    public void Invalid_environment_names_are_rejected(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => ZeroMqRequestEncoder.Encode([], [new(name, "v")]));
        Assert.Equal("environment", ex.ParamName);
    }
}
