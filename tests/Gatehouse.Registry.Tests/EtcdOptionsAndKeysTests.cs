using System.Text;
using Gatehouse.Cluster.Etcd;
using Gatehouse.Cluster.Registry;
using Google.Protobuf;

namespace Gatehouse.Registry.Tests;

/// <summary>The etcd registry's options, key layout and values, without etcd.</summary>
public sealed class EtcdOptionsAndKeysTests
{
    private static readonly EtcdRegistryOptions Good = new() { Endpoints = ["http://127.0.0.1:2379"] };

    [Fact]
    public void The_defaults_are_a_10_second_lease_renewed_every_third_of_it()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), Good.Validate().LeaseTtl);
        Assert.Equal(TimeSpan.FromSeconds(10) / 3, Good.RenewInterval);
        Assert.Equal("/gatehouse", Good.Prefix);
    }

    [Theory]
    [InlineData("Endpoints")]
    [InlineData("ftp://127.0.0.1:2379")]
    [InlineData("http://127.0.0.1")]
    [InlineData("http://127.0.0.1:2379/v3")]
    [InlineData("LeaseTtl")]
    [InlineData("Prefix")]
    [InlineData("Cluster")]
    [InlineData("CertFile")]
    [InlineData("User")]
    public void Bad_options_are_refused_naming_the_setting(string what)
    {
        var bad = what switch
        {
            "Endpoints" => Good with { Endpoints = [] },
            "LeaseTtl" => Good with { LeaseTtl = TimeSpan.FromSeconds(1) },
            "Prefix" => Good with { Prefix = "gatehouse" },
            "Cluster" => Good with { Cluster = "a/b" },
            "CertFile" => Good with { CertFile = "/etc/cert.pem" },
            "User" => Good with { User = "gw" },
            _ => Good with { Endpoints = [what] },
        };
        var ex = Assert.ThrowsAny<ArgumentException>(() => bad.Validate());
        Assert.Contains(what.Contains("://", StringComparison.Ordinal) ? "Endpoints" : what, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bare_host_and_port_is_http_without_a_ca_and_https_with_one()
    {
        Assert.Equal("http", Good.EndpointUri("10.0.0.1:2379").Scheme);
        Assert.Equal("https", (Good with { CaFile = "/etc/ca.pem" }).EndpointUri("10.0.0.1:2379").Scheme);
    }

    [Fact]
    public void Keys_are_laid_out_under_prefix_cluster_and_parsed_back_with_any_fingerprint()
    {
        var keys = new EtcdKeys("/gatehouse/", "prod");
        Assert.Equal("/gatehouse/prod/members/SHA256:a/b+c", keys.Member("SHA256:a/b+c").ToStringUtf8());
        Assert.True(keys.TryParse(keys.Routes("SHA256:a/b+c"), out string kind, out string id));
        Assert.Equal((EtcdKeys.RoutesDir, "SHA256:a/b+c"), (kind, id));
        Assert.True(keys.TryParse(keys.Grant("F"), out kind, out _));
        Assert.Equal(EtcdKeys.Grants, kind);
        Assert.False(keys.TryParse(ByteString.CopyFromUtf8("/gatehouse/prod/other/x"), out _, out _));
        Assert.False(keys.TryParse(ByteString.CopyFromUtf8("/gatehouse/production/members/x"), out _, out _));
        Assert.False(keys.TryParse(ByteString.CopyFromUtf8("/gatehouse/prod/members/"), out _, out _));
        Assert.Equal("/gatehouse/prod0", keys.RootEnd.ToStringUtf8());
    }

    [Fact]
    public void A_range_end_raises_the_last_byte_below_0xff()
    {
        Assert.Equal([0x61, 0x63], EtcdKeys.RangeEnd(ByteString.CopyFrom(0x61, 0x62)).ToByteArray());
        Assert.Equal([0x62], EtcdKeys.RangeEnd(ByteString.CopyFrom(0x61, 0xff)).ToByteArray());
        Assert.Equal([0x00], EtcdKeys.RangeEnd(ByteString.CopyFrom(0xff)).ToByteArray());
    }

    [Fact]
    public void A_route_list_value_is_its_version_a_newline_and_the_list()
    {
        var value = EtcdKeys.RoutesValue(42, "[1,2]\n3"u8);
        Assert.Equal("42\n[1,2]\n3", value.ToStringUtf8());
        Assert.True(EtcdKeys.TryParseRoutes(value.Span, out long version, out byte[] payload));
        Assert.Equal((42L, "[1,2]\n3"), (version, Encoding.UTF8.GetString(payload)));
        Assert.False(EtcdKeys.TryParseRoutes("x\n[]"u8, out _, out _));
        Assert.False(EtcdKeys.TryParseRoutes("-1\n[]"u8, out _, out _));
        Assert.False(EtcdKeys.TryParseRoutes("[]"u8, out _, out _));
        Assert.False(EtcdKeys.TryParseRoutes("99999999999999999999999\n"u8, out _, out _));
    }

    [Fact]
    public void A_member_record_round_trips_and_garbage_is_not_one()
    {
        var record = EtcdMemberRecord.From(new LocalMember("10.0.0.1:7340", 4373, 7, "0.1.0", new Dictionary<string, string> { ["host"] = "gw1" }));
        Assert.Equal("{\"address\":\"10.0.0.1:7340\",\"remctlPort\":4373,\"load\":7,\"version\":\"0.1.0\",\"metadata\":{\"host\":\"gw1\"}}", Encoding.UTF8.GetString(record.ToUtf8()));
        var back = EtcdMemberRecord.TryParse(record.ToUtf8());
        Assert.Equal(("10.0.0.1:7340", 4373, 7L, "gw1"), (back!.Address, back.RemctlPort, back.Load, back.Metadata!["host"]));
        Assert.Null(EtcdMemberRecord.TryParse("{"u8));
        Assert.Null(EtcdMemberRecord.TryParse("{\"load\":1}"u8));
        Assert.Null(EtcdMemberRecord.TryParse(new byte[LocalMember.MaxBytes + 1]));
    }

    [Fact]
    public async Task A_record_too_large_is_refused_before_anything_is_sent()
    {
        await using var r = new EtcdRegistry("SHA256:x", Good, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var big = new Dictionary<string, string> { ["x"] = new string('x', LocalMember.MaxBytes) };
        Assert.Throws<ArgumentException>(() => { _ = r.PublishMemberAsync(new LocalMember("a:1", null, 0, "v", big)); }); // thrown at the call, not in the task
        Assert.Throws<ArgumentException>(() => { _ = r.PublishRoutesAsync(new MemberRoutes(1, new byte[MemberRoutes.MaxBytes + 1])); });
        Assert.False(r.Health.Up);
    }
}
