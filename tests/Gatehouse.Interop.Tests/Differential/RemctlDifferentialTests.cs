using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests.Differential;

/// <summary>
/// The differential suite: every case runs through stock remctld 3.18 (the reference) and through
/// Gatehouse's remctl port, both serving the same remctl.conf, with python3-pyremctl; stdout,
/// stderr (length, SHA-256, first bytes), exit status and remctl error must be equal, except where
/// Gatehouse differs on purpose, which the case asserts instead.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlDifferentialTests(KerberosRealm realm, DifferentialServers servers, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<DifferentialServers>
{
    public static TheoryData<string> Cases => new(DifferentialCases.All.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Gatehouse_answers_as_stock_remctld(string name)
    {
        await servers.StartAsync(realm);
        DifferentialCase c = DifferentialCases.All[name];

        var (remctld, gatehouse) = await servers.RunBothAsync(c);
        foreach (Reply reply in remctld)
        {
            log.WriteLine($"remctld: {reply}");
        }

        if (c.Difference is { } documented)
        {
            documented(remctld, gatehouse);
        }
        else
        {
            Assert.Equal(remctld, gatehouse);
        }
    }
}
