using Gatehouse.WebConsole;
using Gatehouse.WebConsole.Gateways;
using Gatehouse.WebConsole.Security;
using Microsoft.AspNetCore.Http;

namespace Gatehouse.Console.Tests;

/// <summary>The pure parts of the security model and of the console's inputs.</summary>
public sealed class SessionGateTests
{
    [Fact]
    public void The_token_opens_exactly_one_session_and_a_wrong_one_spends_nothing()
    {
        var gate = new SessionGate();
        Assert.Equal(43, gate.Token.Length);
        Assert.Null(gate.Redeem(null));
        Assert.Null(gate.Redeem(string.Concat(gate.Token.Reverse())));
        Assert.Null(gate.Redeem(gate.Token[1..]));
        Assert.True(gate.TokenUnused);
        string? session = gate.Redeem(gate.Token);
        Assert.NotNull(session);
        Assert.True(gate.IsSession(session));
        Assert.False(gate.TokenUnused);
        Assert.Null(gate.Redeem(gate.Token));
        Assert.False(gate.IsSession(gate.Token));
        Assert.False(gate.IsSession(session + "x"));
        Assert.False(gate.IsSession(""));
    }

    [Fact]
    public void Two_consoles_have_different_tokens()
    {
        Assert.NotEqual(new SessionGate().Token, new SessionGate().Token);
    }

    [Theory]
    [InlineData("1", null, null, true)]
    [InlineData("1", "same-origin", "http://127.0.0.1:5000", true)]
    [InlineData("1", "same-origin", "http://127.0.0.1:5001", false)]
    [InlineData("1", "same-site", null, false)]
    [InlineData("1", "cross-site", null, false)]
    [InlineData("1", "none", null, false)]
    [InlineData(null, "same-origin", "http://127.0.0.1:5000", false)]
    [InlineData("yes", null, null, false)]
    [InlineData("1", null, "null", false)]
    public void A_state_changing_request_passes_only_with_the_console_header_from_the_same_origin(string? header, string? fetchSite, string? origin, bool passes)
    {
        IHeaderDictionary headers = new HeaderDictionary();
        if (header is not null)
        {
            headers[RequestGuard.ConsoleHeader] = header;
        }

        if (fetchSite is not null)
        {
            headers["Sec-Fetch-Site"] = fetchSite;
        }

        if (origin is not null)
        {
            headers.Origin = origin;
        }

        Assert.Equal(passes, RequestGuard.IsSameOrigin(headers, "http://127.0.0.1:5000"));
    }

    [Theory]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("8080", "127.0.0.1", 8080)]
    [InlineData("localhost:7000", "127.0.0.1", 7000)]
    [InlineData("[::1]:7000", "::1", 7000)]
    [InlineData("*:7000", "0.0.0.0", 7000)]
    public void Listen_takes_an_address_and_port_or_a_bare_port(string listen, string address, int port)
    {
        var (ip, p) = ConsoleServer.ParseListen(listen);
        Assert.Equal(address, ip.ToString());
        Assert.Equal(port, p);
    }

    [Theory]
    [InlineData("gw1")]
    [InlineData("gw1:99999")]
    [InlineData("example.org:80")]
    [InlineData("")]
    public void Listen_refuses_what_is_not_an_address_and_port_in_one_line(string listen)
    {
        var ex = Assert.Throws<FormatException>(() => ConsoleServer.ParseListen(listen));
        Assert.Contains("--listen", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_list_is_read_with_its_states_fingerprints_and_the_via_gateway()
    {
        var fp = Gatehouse.Transport.Security.PeerIdentity.CreateEphemeral("m").Fingerprint;
        byte[] json = System.Text.Encoding.UTF8.GetBytes($$"""
            [{"fingerprint":"{{fp}}","state":"alive","address":"10.0.0.1:7340","host":"gw1","self":true},
             {"fingerprint":"not a fingerprint","state":"dead","address":"10.0.0.2:7340","host":null,"self":false}]
            """);
        var members = ClusterReader.ParseMembers(json);
        Assert.Equal(2, members.Count);
        Assert.Equal(new ClusterReader.Member("10.0.0.1:7340", "alive", fp, "gw1", true), members[0]);
        Assert.Equal(new ClusterReader.Member("10.0.0.2:7340", "dead", null, null, false), members[1]);
    }
}
