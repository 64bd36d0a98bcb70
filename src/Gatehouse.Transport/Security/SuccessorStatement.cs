using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gatehouse.Transport.Security;

/// <summary>What a successor statement is for (a key that signs one never counts for the other).</summary>
public enum SuccessorPurpose
{
    /// <summary>A gateway announces its next key to the peers that pin it (the IDENTITY frame).</summary>
    Gateway,

    /// <summary>A client or service asks a gateway to move its grant to its next key (<c>gatehouse rotate-peer</c>).</summary>
    Peer,
}

/// <summary>
/// "The key <see cref="Current"/> is followed by <see cref="Next"/>", signed by both keys (the current
/// one vouches for the change; the next one proves it exists and is held by the same party). Carries
/// both public keys, so a receiver that pins <see cref="Current"/> can check it with nothing else
/// (docs/security.md, "Key rotation"; docs/protocol.md section 2.9 for the encoding).
/// </summary>
/// <remarks>
/// Encoding: <c>{ Length (16) Bytes }</c> five times: the text, the current key's SubjectPublicKeyInfo,
/// its signature, the next key's SubjectPublicKeyInfo, its signature. The text is UTF-8 lines
/// <c>gatehouse-successor 1</c>, <c>purpose gateway|peer</c>, <c>current SHA256:...</c>,
/// <c>next SHA256:...</c>, <c>issued YYYY-MM-DDTHH:MM:SSZ</c>. Each signature is over
/// <c>"Gatehouse successor statement\0" + text</c> (ECDSA: SHA-256, IEEE P1363; RSA: SHA-256, PSS).
/// </remarks>
public sealed record SuccessorStatement(SuccessorPurpose Purpose, Fingerprint Current, Fingerprint Next, DateTimeOffset Issued)
{
    /// <summary>Largest encoded statement accepted.</summary>
    public const int MaxEncodedLength = 8_192;

    private static readonly byte[] Context = Encoding.ASCII.GetBytes("Gatehouse successor statement\0");

    /// <summary>Makes and signs a statement that <paramref name="current"/> is followed by <paramref name="next"/>.</summary>
    /// <exception cref="ArgumentException">The two identities are the same key, or a key is neither ECDSA nor RSA.</exception>
    public static byte[] Sign(SuccessorPurpose purpose, PeerIdentity current, PeerIdentity next, DateTimeOffset issued)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        if (current.Fingerprint == next.Fingerprint)
        {
            throw new ArgumentException("The next identity is the current one", nameof(next));
        }

        string text = Text(purpose, current.Fingerprint, next.Fingerprint, issued);
        byte[] signed = [.. Context, .. Encoding.UTF8.GetBytes(text)];
        var parts = new[]
        {
            Encoding.UTF8.GetBytes(text),
            current.Certificate.PublicKey.ExportSubjectPublicKeyInfo(),
            SignWith(current.Certificate, signed),
            next.Certificate.PublicKey.ExportSubjectPublicKeyInfo(),
            SignWith(next.Certificate, signed),
        };
        var buffer = new byte[parts.Sum(p => 2 + p.Length)];
        int pos = 0;
        foreach (var part in parts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(pos), (ushort)part.Length);
            part.CopyTo(buffer.AsSpan(pos + 2));
            pos += 2 + part.Length;
        }

        return buffer;
    }

    /// <summary>
    /// Parses <paramref name="encoded"/> and checks it: well formed, of <paramref name="purpose"/>,
    /// each public key hashing to the fingerprint the text names, both signatures valid. Whether
    /// <see cref="Current"/> is the key the receiver trusts is the receiver's check. Never throws.
    /// </summary>
    /// <param name="error">Why it was refused (one line), else null.</param>
    public static SuccessorStatement? Verify(ReadOnlySpan<byte> encoded, SuccessorPurpose purpose, out string? error)
    {
        try
        {
            if (encoded.Length > MaxEncodedLength)
            {
                error = $"successor statement of {encoded.Length} bytes (at most {MaxEncodedLength})";
                return null;
            }

            var parts = new byte[5][];
            int pos = 0;
            for (int i = 0; i < parts.Length; i++)
            {
                if (encoded.Length - pos < 2)
                {
                    error = "successor statement is truncated";
                    return null;
                }

                int length = BinaryPrimitives.ReadUInt16BigEndian(encoded[pos..]);
                if (encoded.Length - pos - 2 < length)
                {
                    error = "successor statement is truncated";
                    return null;
                }

                parts[i] = encoded.Slice(pos + 2, length).ToArray();
                pos += 2 + length;
            }

            if (pos != encoded.Length)
            {
                error = "successor statement has bytes after its end";
                return null;
            }

            var statement = ParseText(parts[0], out error);
            if (statement is null)
            {
                return null;
            }

            if (statement.Purpose != purpose)
            {
                error = $"a statement for purpose '{Name(statement.Purpose)}' was given where '{Name(purpose)}' is wanted";
                return null;
            }

            byte[] signed = [.. Context, .. parts[0]];
            if (!KeyMatches(parts[1], statement.Current) || !KeyMatches(parts[3], statement.Next))
            {
                error = "a public key in the successor statement does not match the fingerprint it names";
                return null;
            }

            if (!VerifyWith(parts[1], signed, parts[2]))
            {
                error = $"the successor statement is not signed by {statement.Current}";
                return null;
            }

            if (!VerifyWith(parts[3], signed, parts[4]))
            {
                error = $"the successor statement is not signed by {statement.Next}";
                return null;
            }

            error = null;
            return statement;
        }
        catch (CryptographicException ex)
        {
            error = "successor statement: " + ex.Message;
            return null;
        }
    }

    /// <summary>
    /// As <see cref="Verify"/>, and the statement's current key must be <paramref name="current"/>:
    /// the key this side pinned (a gateway's announcement) or the key the caller connected with (a
    /// peer's grant move). Never throws.
    /// </summary>
    public static SuccessorStatement? VerifyFrom(ReadOnlySpan<byte> encoded, SuccessorPurpose purpose, Fingerprint current, out string? error)
    {
        var statement = Verify(encoded, purpose, out error);
        if (statement is not null && statement.Current != current)
        {
            error = $"the statement is about {statement.Current}, not {current}";
            return null;
        }

        return statement;
    }

    private static string Name(SuccessorPurpose purpose) => purpose == SuccessorPurpose.Gateway ? "gateway" : "peer";

    private static string Text(SuccessorPurpose purpose, Fingerprint current, Fingerprint next, DateTimeOffset issued) =>
        $"gatehouse-successor 1\npurpose {Name(purpose)}\ncurrent {current}\nnext {next}\nissued {issued.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}\n";

    private static SuccessorStatement? ParseText(byte[] utf8, out string? error)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            error = "successor statement text is not UTF-8";
            return null;
        }

        string[] lines = text.Split('\n');
        if (lines.Length != 6 || lines[5].Length != 0 || lines[0] != "gatehouse-successor 1")
        {
            error = "successor statement text is not 'gatehouse-successor 1' and four lines";
            return null;
        }

        SuccessorPurpose? purpose = lines[1] switch
        {
            "purpose gateway" => SuccessorPurpose.Gateway,
            "purpose peer" => SuccessorPurpose.Peer,
            _ => null,
        };
        if (purpose is null
            || !lines[2].StartsWith("current ", StringComparison.Ordinal) || !Fingerprint.TryParse(lines[2]["current ".Length..], out var current)
            || !lines[3].StartsWith("next ", StringComparison.Ordinal) || !Fingerprint.TryParse(lines[3]["next ".Length..], out var next)
            || !lines[4].StartsWith("issued ", StringComparison.Ordinal)
            || !DateTimeOffset.TryParseExact(lines[4]["issued ".Length..], "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var issued))
        {
            error = "successor statement text is malformed";
            return null;
        }

        if (current == next)
        {
            error = "successor statement names the same key twice";
            return null;
        }

        error = null;
        return new SuccessorStatement(purpose.Value, current, next, issued);
    }

    private static bool KeyMatches(byte[] spki, Fingerprint fingerprint) =>
        Fingerprint.OfPublicKey(spki) == fingerprint;

    private static byte[] SignWith(X509Certificate2 certificate, byte[] data)
    {
        if (certificate.GetECDsaPrivateKey() is { } ec)
        {
            using (ec)
            {
                return ec.SignData(data, HashAlgorithmName.SHA256);
            }
        }

        if (certificate.GetRSAPrivateKey() is { } rsa)
        {
            using (rsa)
            {
                return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
            }
        }

        throw new ArgumentException("Only ECDSA and RSA identities can sign a successor statement", nameof(certificate));
    }

    private static bool VerifyWith(byte[] spki, byte[] data, byte[] signature)
    {
        var key = PublicKey.CreateFromSubjectPublicKeyInfo(spki, out int read);
        if (read != spki.Length)
        {
            return false;
        }

        if (key.GetECDsaPublicKey() is { } ec)
        {
            using (ec)
            {
                return ec.VerifyData(data, signature, HashAlgorithmName.SHA256);
            }
        }

        if (key.GetRSAPublicKey() is { } rsa)
        {
            using (rsa)
            {
                return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
            }
        }

        return false;
    }
}
