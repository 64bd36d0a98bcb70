using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Transport.Security;

/// <summary>
/// The weakest peer keys accepted: RSA of 2,048 bits, elliptic curves of 256 bits (P-256). A peer
/// presenting a weaker key (RSA-1024, DSA, P-192) is refused before its fingerprint is looked up.
/// </summary>
public static class KeyStrength
{
    /// <summary>Smallest RSA modulus accepted, in bits.</summary>
    public const int MinRsaBits = 2048;

    /// <summary>Smallest elliptic-curve key accepted, in bits.</summary>
    public const int MinEcBits = 256;

    /// <summary>Null when <paramref name="certificate"/>'s key is strong enough; otherwise why not, for the peer and the log.</summary>
    public static string? Check(X509Certificate2 certificate)
    {
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return rsa.KeySize >= MinRsaBits ? null : $"RSA-{rsa.KeySize} key refused: at least RSA-{MinRsaBits} or ECDSA P-256";
            }
        }

        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                return ec.KeySize >= MinEcBits ? null : $"{ec.KeySize}-bit ECDSA key refused: at least P-256 or RSA-{MinRsaBits}";
            }
        }

        return $"{certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value} key refused: use ECDSA P-256 or RSA-{MinRsaBits}";
    }
}
