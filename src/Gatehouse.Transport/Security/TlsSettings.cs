using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Gatehouse.Transport.Security;

/// <summary>TLS settings shared by every Gatehouse connection: TLS 1.2+ (1.3 preferred), ALPN <c>gatehouse/1</c>, certificates on both sides.</summary>
public static class TlsSettings
{
    /// <summary>The ALPN id of protocol version 1.</summary>
    public static readonly SslApplicationProtocol Alpn = new("gatehouse/1");

    /// <summary>TLS versions allowed.</summary>
    public const SslProtocols Protocols = SslProtocols.Tls13 | SslProtocols.Tls12;

    /// <summary>
    /// The cipher suites offered and accepted: TLS 1.3's AEAD suites, and for TLS 1.2 only ECDHE
    /// key exchange with AES-GCM or ChaCha20-Poly1305 (no CBC, no static RSA, no PSK). Null where
    /// the platform cannot restrict suites (the platform's defaults then apply).
    /// </summary>
    public static CipherSuitesPolicy? CipherSuites { get; } = MakeCipherSuites();

    private static CipherSuitesPolicy? MakeCipherSuites()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return null;
        }

        return new CipherSuitesPolicy(
        [
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]);
    }

    /// <summary>
    /// Server options built once and shared by all connections (one TLS context). The client must
    /// present a certificate; whether it is authorized is decided after the handshake, by
    /// fingerprint, so the peer can be told why it is refused.
    /// </summary>
    public static SslServerAuthenticationOptions ServerOptions(PeerIdentity identity) => new()
    {
        ServerCertificateContext = identity.CertificateContext,
        ClientCertificateRequired = true,
        RemoteCertificateValidationCallback = static (_, certificate, _, _) => certificate is not null,
        ApplicationProtocols = [Alpn],
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
    };

    /// <summary>
    /// Client options that accept the server only if <paramref name="pin"/> approves its
    /// fingerprint. The presented fingerprint is stored in <paramref name="seen"/> for error messages.
    /// </summary>
    public static SslClientAuthenticationOptions ClientOptions(PeerIdentity identity, string targetHost, Func<Fingerprint, bool> pin, StrongBox<Fingerprint> seen) => new()
    {
        TargetHost = targetHost,
        ClientCertificateContext = identity.CertificateContext,
        ApplicationProtocols = [Alpn],
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        AllowRenegotiation = false,
        RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            if (certificate is null)
            {
                return false;
            }

            using var cert = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            seen.Value = Fingerprint.Of(cert);
            return pin(seen.Value);
        },
    };
}

