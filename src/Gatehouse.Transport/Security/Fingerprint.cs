using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Transport.Security;

/// <summary>
/// The SHA-256 hash of a certificate's SubjectPublicKeyInfo (docs/protocol.md section 7), written
/// <c>SHA256:</c> + unpadded base64. Hashing the public key, not the whole certificate, keeps the
/// fingerprint across a renewal with the same key.
/// </summary>
public readonly struct Fingerprint : IEquatable<Fingerprint>
{
    private const string Prefix = "SHA256:";
    private readonly byte[]? _hash;

    private Fingerprint(byte[] hash) => _hash = hash;

    /// <summary>The 32 hash bytes.</summary>
    public ReadOnlySpan<byte> Hash => _hash;

    /// <summary>True for the default (no fingerprint).</summary>
    public bool IsEmpty => _hash is null;

    /// <summary>The fingerprint of a DER SubjectPublicKeyInfo.</summary>
    public static Fingerprint OfPublicKey(ReadOnlySpan<byte> subjectPublicKeyInfo) => new(SHA256.HashData(subjectPublicKeyInfo));

    /// <summary>Computes the fingerprint of <paramref name="certificate"/>'s public key.</summary>
    public static Fingerprint Of(X509Certificate2 certificate)
    {
        byte[] spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        return new Fingerprint(SHA256.HashData(spki));
    }

    /// <summary>Parses <c>SHA256:base64</c> (padding optional) or 64 hex digits (colons allowed).</summary>
    public static bool TryParse(string? text, out Fingerprint fingerprint)
    {
        fingerprint = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            string b64 = text[Prefix.Length..].TrimEnd('=');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            byte[] hash = new byte[48];
            if (Convert.TryFromBase64String(b64, hash, out int written) && written == 32)
            {
                fingerprint = new Fingerprint(hash[..32]);
                return true;
            }

            return false;
        }

        string hex = text.Replace(":", string.Empty, StringComparison.Ordinal);
        if (hex.Length != 64)
        {
            return false;
        }

        try
        {
            fingerprint = new Fingerprint(Convert.FromHexString(hex));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Parses or throws <see cref="FormatException"/> with the accepted forms.</summary>
    public static Fingerprint Parse(string text) => TryParse(text, out var fp)
        ? fp
        : throw new FormatException($"'{text}' is not a fingerprint: expected SHA256:<base64> or 64 hex digits");

    /// <inheritdoc />
    public override string ToString() => _hash is null ? "(none)" : Prefix + Convert.ToBase64String(_hash).TrimEnd('=');

    /// <summary>Hex form with colons, as OpenSSL prints hashes.</summary>
    public string ToHex() => _hash is null ? string.Empty : Convert.ToHexString(_hash);

    public bool Equals(Fingerprint other) => _hash is not null && other._hash is not null
        ? CryptographicOperations.FixedTimeEquals(_hash, other._hash)
        : _hash is null && other._hash is null;

    public override bool Equals(object? obj) => obj is Fingerprint other && Equals(other);

    public override int GetHashCode() => _hash is null ? 0 : BitConverter.ToInt32(_hash, 0);

    public static bool operator ==(Fingerprint left, Fingerprint right) => left.Equals(right);

    public static bool operator !=(Fingerprint left, Fingerprint right) => !left.Equals(right);
}
