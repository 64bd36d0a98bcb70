using System.Text;
using Gatehouse.Gateway.Authorization;

namespace Gatehouse.Fuzz.Targets;

/// <summary>
/// <c>authorized-peers</c>: <see cref="AuthorizedPeers.Parse"/> on the gateway's authorized file.
/// Every grant it returns must survive the trip through <see cref="PeerGrant.ToLine"/> (the line
/// <c>gatehouse authorize</c> writes) unchanged.
/// </summary>
internal sealed class AuthorizedPeersTarget : FuzzTarget
{
    public override string Name => "authorized-peers";

    public override string Description => "AuthorizedPeers.Parse and the PeerGrant.ToLine round trip";

    public override bool IsExpected(Exception exception) => exception is FormatException;

    public override void Run(ReadOnlySpan<byte> input)
    {
        var lines = TextInput.Lines(TextInput.Decode(input));
        foreach (var grant in AuthorizedPeers.Parse(lines, "authorized_peers"))
        {
            var again = AuthorizedPeers.Parse([grant.ToLine()], "rewritten");
            FuzzInvariantException.Check(again.Count == 1, $"the rewritten line '{grant.ToLine()}' gives {again.Count} grants");
            var back = again[0];
            FuzzInvariantException.Check(
                back.Fingerprint == grant.Fingerprint && back.Name == grant.Name && back.Roles == grant.Roles && back.Domains.SequenceEqual(grant.Domains),
                $"'{grant.ToLine()}' reads back as '{back.ToLine()}'");
        }
    }

    public override IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        static byte[] T(string s) => Encoding.UTF8.GetBytes(s);
        const string Fp = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
        const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        yield return ("one", T($"{Fp} alice roles=client\n"));
        yield return ("full", T($"# Gatehouse authorized peers\n{Fp} mailsvc roles=service,client domains=mail,default\n{Hex} admin roles=admin\n"));
        yield return ("hex-colons", T("E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55 bob\n"));
        yield return ("padded", T($"{Fp}= carol domains=*\r\n"));
        yield return ("bad-role", T($"{Fp} dave roles=root\n"));
        yield return ("bad-option", T($"{Fp} erin colour=blue\n"));
        yield return ("bad-fingerprint", T("SHA256:short frank\n"));
        yield return ("no-name", T($"{Fp}\n"));
    }
}
