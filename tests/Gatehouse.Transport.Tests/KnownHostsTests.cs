using Gatehouse.Transport.Security;

namespace Gatehouse.Transport.Tests;

public sealed class KnownHostsTests
{
    private const string Fp = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

    [Fact]
    public void Parse_reads_pins_and_skips_comments_and_blank_lines()
    {
        var pins = KnownHosts.Parse(["# pins", "", "  gw1:7340 " + Fp + "  ", "[::1]:7340\t" + Fp], "known_hosts").ToList();

        Assert.Equal(["gw1:7340", "[::1]:7340"], pins.Select(p => p.HostPort));
        Assert.All(pins, p => Assert.Equal(Fingerprint.Parse(Fp), p.Fingerprint));
    }

    [Fact]
    public void Parse_names_the_file_and_line_of_a_bad_line_when_it_is_reached()
    {
        var pins = KnownHosts.Parse(["gw1:7340 " + Fp, "gw2:7340 SHA256:AAAA"], "my_known_hosts");

        using var e = pins.GetEnumerator();
        Assert.True(e.MoveNext()); // lazy: the good line comes first
        var error = Assert.Throws<FormatException>(() => e.MoveNext());
        Assert.StartsWith("my_known_hosts:2: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_and_Find_parse_the_file_that_Set_writes()
    {
        string dir = Directory.CreateTempSubdirectory("gatehouse-known-hosts-").FullName;
        try
        {
            var hosts = new KnownHosts(Path.Combine(dir, "known_hosts"));
            Assert.Empty(hosts.Read());
            hosts.Set("gw1:7340", Fingerprint.Parse(Fp));

            Assert.Equal(Fingerprint.Parse(Fp), hosts.Find("GW1:7340"));
            Assert.Null(hosts.Find("gw2:7340"));
            Assert.Single(hosts.Read());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Malformed input: a clear FormatException naming file:line, never another exception type.

    public static TheoryData<string, string, int> BadFiles => new()
    {
        // content, what the message must say, line named
        { "gw1:7340", "expected 'host:port SHA256:...'", 1 },                           // truncated: no fingerprint
        { "# pins\ngw1:7340 " + Fp[..30], "expected 'host:port SHA256:...'", 2 },      // truncated fingerprint
        { "gw1:7340 SHA256:@@@@not-base64@@@@", "expected 'host:port SHA256:...'", 1 },
        { "gw1:7340 SHA256:" + Convert.ToBase64String(new byte[31]), "expected 'host:port SHA256:...'", 1 },
        { "gw1:7340 SHA256:" + Convert.ToBase64String(new byte[33]), "expected 'host:port SHA256:...'", 1 },
        { "gw1:7340 " + new string('0', 62), "expected 'host:port SHA256:...'", 1 },      // hex too short
        { "gw1:7340 " + new string('z', 64), "expected 'host:port SHA256:...'", 1 },      // not hex
        { "gw1:7340 " + Fp + " # office", "expected 'host:port SHA256:...'", 1 },        // trailing comment
        { "gw1:7340 " + Fp + "\nGW1:7340 " + Fp, "already pinned on line 1", 2 },        // duplicate host
        { "gw1:99999 " + Fp, "not host:port", 1 },
        { "gw1 " + Fp, "not host:port", 1 },                                             // no port: Find would never match
        { "[::1 " + Fp, "not host:port", 1 },
        { new string('h', 100_000) + ":7340 " + Fp, "not host:port", 1 },              // very long line
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_malformed_line_is_a_FormatException_naming_the_file_and_line(string content, string says, int line)
    {
        var ex = Assert.Throws<FormatException>(() => KnownHosts.Parse(content.Split('\n'), "known_hosts").ToList());
        Assert.StartsWith($"known_hosts:{line}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(says, ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 400, "the message quotes at most a bounded part of the line");
    }

    [Fact]
    public void CRLF_line_ends_non_UTF8_bytes_and_an_empty_file_are_handled_through_the_real_file()
    {
        string dir = Directory.CreateTempSubdirectory("gatehouse-known-hosts-").FullName;
        try
        {
            string path = Path.Combine(dir, "known_hosts");
            var hosts = new KnownHosts(path);
            File.WriteAllText(path, "");
            Assert.Empty(hosts.Read());

            File.WriteAllText(path, $"# pins\r\n\r\ngw1:7340 {Fp}\r\n[::1]:7340 {Fp}\r\n");
            Assert.Equal(["gw1:7340", "[::1]:7340"], hosts.Read().Select(p => p.HostPort));
            Assert.Equal(Fingerprint.Parse(Fp), hosts.Find("gw1:7340"));

            File.WriteAllBytes(path, [.. "gw"u8, 0xC3, 0x28, .. System.Text.Encoding.ASCII.GetBytes(":7340 " + Fp + "\n")]);
            var ex = Assert.Throws<FormatException>(() => hosts.Find("gw1:7340"));
            Assert.Equal(path + ":1: not valid UTF-8 text", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("SHA256:")]
    [InlineData("SHA256:====")]
    [InlineData("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF")]    // one base64 digit short
    [InlineData("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUA")]  // 33 bytes
    [InlineData("SHA256:47DEQpj8HBSa+/TImW+5JCe=QeRkm5NMpJWZG3hSuFU")]   // padding inside
    [InlineData("MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8")]     // 62 hex digits
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85500")] // 66
    [InlineData("x3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]   // not hex
    [InlineData("e3:b0:c4:42:98:fc:1c:14:9a:fb:f4:c8:99:6f:b9:24:27:ae:41:e4:64:9b:93:4c:a4:95:99:1b:78:52:b8")]
    public void Fingerprint_text_of_the_wrong_form_or_length_is_refused_with_the_accepted_forms(string text)
    {
        Assert.False(Fingerprint.TryParse(text, out var fp));
        Assert.True(fp.IsEmpty);
        var ex = Assert.Throws<FormatException>(() => Fingerprint.Parse(text));
        Assert.Contains("expected SHA256:<base64> or 64 hex digits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fingerprint_text_in_every_accepted_form_parses_to_the_same_value()
    {
        var fp = Fingerprint.Parse(Fp);
        Assert.Equal(fp, Fingerprint.Parse(Fp + "="));
        Assert.Equal(fp, Fingerprint.Parse("sha256:" + Fp["SHA256:".Length..]));
        Assert.Equal(fp, Fingerprint.Parse(fp.ToHex()));
        Assert.Equal(fp, Fingerprint.Parse(fp.ToHex().ToLowerInvariant()));
        Assert.Equal(fp, Fingerprint.Parse(string.Join(':', fp.ToHex().Chunk(2).Select(c => new string(c)))));
        Assert.False(Fingerprint.TryParse(new string('A', 1_000_000), out _));
        Assert.False(Fingerprint.TryParse("SHA256:" + new string('A', 1_000_000), out _));
    }
}
