namespace Gatehouse.Cluster.Etcd;

/// <summary>
/// How a gateway reaches its etcd cluster and keeps its keys there (docs/cluster.md, "etcd registry").
/// Immutable; <see cref="Validate"/> checks every value against its range.
/// </summary>
public sealed record EtcdRegistryOptions
{
    /// <summary>
    /// The etcd members' client URLs (<c>http://HOST:PORT</c> or <c>https://HOST:PORT</c>; a bare
    /// <c>HOST:PORT</c> is <c>https</c> when <see cref="CaFile"/> is set, else <c>http</c>). Tried in
    /// turn: when one fails, the next is used. Required, at most 32.
    /// </summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>The root of Gatehouse's keys. Default <c>/gatehouse</c>.</summary>
    public string Prefix { get; init; } = "/gatehouse";

    /// <summary>The cluster's name: several clusters can share one etcd under one prefix. Default <c>default</c>.</summary>
    public string Cluster { get; init; } = "default";

    /// <summary>
    /// The lease this gateway's member and route keys are written under: a gateway that stops
    /// renewing it (crashed) is gone from every other member's view this long after its last renewal
    /// (plus up to half a second until etcd's leader expires it). Default 10 s; 2 s to 5 min.
    /// </summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most time one call to etcd may take before the next endpoint is tried. Default 2 s; 100 ms to 60 s.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long to wait before trying again while etcd cannot be reached. Default 1 s; 100 ms to 60 s.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Changes of this member's record or routes within this time are written together. Default 20 ms; 0 to 10 s.</summary>
    public TimeSpan PublishDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>PEM file of the CA that signed the etcd members' certificates (TLS on); null: the system's roots (for <c>https</c> endpoints).</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate for etcd's <c>--client-cert-auth</c>; needs <see cref="KeyFile"/>.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>etcd user (etcd's auth); needs <see cref="Password"/>.</summary>
    public string? User { get; init; }

    /// <summary>The etcd user's password. Never logged.</summary>
    public string? Password { get; init; }

    /// <summary>The lease is renewed every third of its TTL.</summary>
    public TimeSpan RenewInterval => LeaseTtl / 3;

    /// <summary>Throws <see cref="ArgumentException"/> (or <see cref="ArgumentOutOfRangeException"/>) naming the first bad value.</summary>
    public EtcdRegistryOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoints, nameof(Endpoints));
        if (Endpoints.Count == 0 || Endpoints.Count > 32)
        {
            throw new ArgumentException("Endpoints: between 1 and 32 etcd client URLs are needed", nameof(Endpoints));
        }

        foreach (string e in Endpoints)
        {
            _ = EndpointUri(e);
        }

        if (string.IsNullOrEmpty(Prefix) || Prefix[0] != '/' || Prefix.Length > 200 || Prefix.Any(char.IsControl))
        {
            throw new ArgumentException("Prefix: must start with '/', at most 200 characters, no control characters", nameof(Prefix));
        }

        if (string.IsNullOrEmpty(Cluster) || Cluster.Length > 64 || !Cluster.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException("Cluster: 1 to 64 letters, digits, '-', '_' or '.'", nameof(Cluster));
        }

        Range(LeaseTtl, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), nameof(LeaseTtl));
        Range(OperationTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60), nameof(OperationTimeout));
        Range(RetryInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60), nameof(RetryInterval));
        Range(PublishDelay, TimeSpan.Zero, TimeSpan.FromSeconds(10), nameof(PublishDelay));
        if ((CertFile is null) != (KeyFile is null))
        {
            throw new ArgumentException("CertFile and KeyFile go together (the client certificate and its key)", CertFile is null ? nameof(CertFile) : nameof(KeyFile));
        }

        if ((User is null) != (Password is null))
        {
            throw new ArgumentException("User and Password go together", User is null ? nameof(User) : nameof(Password));
        }

        return this;
    }

    /// <summary>The URI of an endpoint as given (scheme added when missing).</summary>
    /// <exception cref="ArgumentException">Not an http(s) URL or HOST:PORT.</exception>
    public Uri EndpointUri(string endpoint)
    {
        string text = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : (CaFile is null ? "http://" : "https://") + endpoint;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort && !text.EndsWith(":" + uri.Port, StringComparison.Ordinal)
            || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"Endpoints: '{endpoint}' is not http(s)://HOST:PORT or HOST:PORT", nameof(endpoint));
        }

        return uri;
    }

    /// <summary>
    /// Loads the TLS files named (CA, client certificate and key), so a wrong path or a file that is
    /// not PEM is reported at start (and by <c>gatehouse gateway --check</c>), not at the first call.
    /// </summary>
    /// <exception cref="IOException">A file cannot be read or is not what it should be (one line naming the setting and the file).</exception>
    public void CheckFiles()
    {
        try
        {
            if (CaFile is not null)
            {
                var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
                roots.ImportFromPemFile(CaFile);
                if (roots.Count == 0)
                {
                    throw new System.Security.Cryptography.CryptographicException("no certificate in it");
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new IOException($"Cluster:Etcd:CaFile: cannot load {CaFile}: {ex.Message}", ex);
        }

        try
        {
            if (CertFile is not null)
            {
                using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(CertFile, KeyFile);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new IOException($"Cluster:Etcd:CertFile/KeyFile: cannot load {CertFile} with {KeyFile}: {ex.Message}", ex);
        }
    }

    private static void Range(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} is {min} to {max}");
        }
    }
}
