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
}
