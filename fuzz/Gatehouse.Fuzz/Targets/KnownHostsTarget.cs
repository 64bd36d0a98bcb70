using System.Text;
using Gatehouse.Transport.Security;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>known-hosts</c>: <see cref="KnownHosts.Parse"/> on the client's known_hosts text. Every pin
/// must read back the same from the line <see cref="KnownHosts.Set"/> writes for it.
/// </summary>
internal sealed class KnownHostsTarget : FuzzTarget
{
    public override string Name => "known-hosts";

    public override string Description => "KnownHosts.Parse and the written-line round trip";

    public override bool IsExpected(Exception exception) => exception is FormatException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        var lines = TextInput.Lines(TextInput.Decode(input));
        foreach (var (hostPort, fingerprint) in KnownHosts.Parse(lines, "known_hosts"))
        {
            FuzzInvariantException.Check(hostPort.Length > 0 && !fingerprint.IsEmpty, "an empty host or fingerprint");
            var again = KnownHosts.Parse([$"{hostPort} {fingerprint}"], "rewritten").ToList();
            FuzzInvariantException.Check(again.Count == 1 && again[0].HostPort == hostPort && again[0].Fingerprint == fingerprint, $"the pin for '{hostPort}' does not read back");
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] T(string s) => Encoding.UTF8.GetBytes(s);
        const string Fp = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
        yield return ("one", T($"gw1:7340 {Fp}\n"));
        yield return ("several", T($"# pins\ngw1:7340 {Fp}\n\n[::1]:7340 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\nlocalhost:1 {Fp}==\n"));
        yield return ("tabs", T($"\tgw2.example.org:7340\t{Fp}  \n"));
        yield return ("three-fields", T($"gw1:7340 {Fp} extra\n"));
        yield return ("bad-fingerprint", T("gw1:7340 SHA256:AAAA\n"));
        yield return ("hex-bad", T("gw1:7340 zz:b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"));
    }
}
