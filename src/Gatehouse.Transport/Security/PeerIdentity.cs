using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Transport.Security;

/// <summary>
/// This process's key pair and self-signed certificate. <see cref="LoadOrCreate"/> keeps them in a
/// directory as <c>identity.key</c> (PKCS#8 PEM, mode 0600) and <c>identity.crt</c>; the directory
/// is made with mode 0700.
/// </summary>
public sealed class PeerIdentity : IDisposable
{
    public const string KeyFileName = "identity.key";
    public const string CertificateFileName = "identity.crt";

    private PeerIdentity(X509Certificate2 certificate)
    {
        Certificate = certificate;
        Fingerprint = Fingerprint.Of(certificate);
        CertificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The fingerprint peers pin.</summary>
    public Fingerprint Fingerprint { get; }

    /// <summary>Shared TLS certificate context (one for all connections).</summary>
    public SslStreamCertificateContext CertificateContext { get; }

    /// <summary>An identity from an existing certificate with its private key (a site's own PKI).</summary>
    /// <exception cref="ArgumentException">The certificate has no private key.</exception>
    public static PeerIdentity FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The certificate has no private key", nameof(certificate));
        }

        return new PeerIdentity(certificate);
    }

    /// <summary>Makes a new ECDSA P-256 identity in memory (tests, ephemeral peers).</summary>
    public static PeerIdentity CreateEphemeral(string commonName = "gatehouse")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new PeerIdentity(MakeCertificate(key, commonName));
    }

    /// <summary>
    /// Loads the identity from <paramref name="directory"/>, or creates it there on first use.
    /// </summary>
    /// <param name="created">True when a new identity was made.</param>
    /// <exception cref="IOException">The files exist but cannot be read or parsed, or the key file is readable by others.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to read the files or to create the directory.</exception>
    public static PeerIdentity LoadOrCreate(string directory, string commonName, out bool created)
    {
        string keyPath = Path.Combine(directory, KeyFileName);
        string certPath = Path.Combine(directory, CertificateFileName);
        if (File.Exists(keyPath) && File.Exists(certPath))
        {
            created = false;
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(keyPath) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                throw new IOException($"{keyPath} is readable or writable by others; chmod 600 it");
            }

            try
            {
                return Load(certPath, keyPath);
            }
            catch (CryptographicException ex)
            {
                // A damaged or foreign file: one clear line at start, never a stack trace.
                throw new IOException($"{keyPath} or {certPath} cannot be used: {ex.Message}", ex);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        else
        {
            Directory.CreateDirectory(directory);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = MakeCertificate(key, commonName);
        WriteSecret(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem() + "\n");
        created = true;
        return new PeerIdentity(certificate);
    }

    /// <summary>
    /// Makes a new ECDSA P-256 identity and writes it to <paramref name="keyPath"/> (mode 0600,
    /// never over an existing file) and <paramref name="certificatePath"/> (the next identity of a
    /// key rotation, beside the current one).
    /// </summary>
    /// <exception cref="IOException">A file exists already or cannot be written.</exception>
    public static PeerIdentity CreateFiles(string keyPath, string certificatePath, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = MakeCertificate(key, commonName);
        WriteSecret(keyPath, key.ExportPkcs8PrivateKeyPem());
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            using var stream = new FileStream(certificatePath, options);
            using var writer = new StreamWriter(stream);
            writer.Write(certificate.ExportCertificatePem() + "\n");
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            File.Delete(keyPath);
            throw;
        }

        return new PeerIdentity(certificate);
    }

    /// <summary>The certificate's common name (to keep it when a rotation makes the next identity).</summary>
    public string CommonName => Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    /// <summary>Loads an identity from PEM files (certificate and PKCS#8 or EC private key).</summary>
    public static PeerIdentity Load(string certificatePath, string keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        // Re-import so the key is usable by SslStream on every platform.
        return new PeerIdentity(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null));
    }

    private static X509Certificate2 MakeCertificate(ECDsa key, string commonName)
    {
        var name = new X500DistinguishedName("CN=" + commonName.Replace(",", " ", StringComparison.Ordinal));
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), password: null);
    }

    private static void WriteSecret(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
        writer.Write('\n');
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }

    public void Dispose() => Certificate.Dispose();
}
