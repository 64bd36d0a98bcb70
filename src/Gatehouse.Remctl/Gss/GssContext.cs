namespace Gatehouse.Remctl.Gss;

/// <summary>Result of one context-establishment step.</summary>
/// <param name="OutputToken">Token to send to the peer, if any (also on failure: it may carry a KRB-ERROR).</param>
/// <param name="Complete">True once the context is established.</param>
/// <param name="Error">The failure, if the step failed.</param>
internal readonly record struct GssStepResult(byte[]? OutputToken, bool Complete, RemctlGssException? Error);

/// <summary>
/// A GSS-API security context (raw krb5 mechanism) as initiator or acceptor, with wrap/unwrap. Calls on one
/// context are serialised by a lock because per-message sequence numbers must match the send order;
/// <see cref="Dispose"/> deletes the context under the same lock.
/// </summary>
internal sealed unsafe class GssContext : IDisposable
{
    /// <summary>Flags remctl requires on every v2/v3 context: mutual, confidentiality and integrity.</summary>
    public const uint RequiredFlags = GssNative.GSS_C_MUTUAL_FLAG | GssNative.GSS_C_CONF_FLAG | GssNative.GSS_C_INTEG_FLAG;

    /// <summary>Flags an initiator requests: the required ones plus replay and sequence detection.</summary>
    public const uint RequestedFlags = RequiredFlags | GssNative.GSS_C_REPLAY_FLAG | GssNative.GSS_C_SEQUENCE_FLAG;

    private readonly Lock _lock = new();
    private readonly GssCredential? _credential;
    private readonly GssName? _target;
    private IntPtr _context;
    private bool _disposed;

    private GssContext(GssCredential? credential, GssName? target)
    {
        _credential = credential;
        _target = target;
    }

    /// <summary>True for the initiator (client) side.</summary>
    public bool IsInitiator => _target is not null;

    /// <summary>True once establishment completed.</summary>
    public bool IsEstablished { get; private set; }

    /// <summary>Flags granted by the mechanism (<c>ret_flags</c>).</summary>
    public uint Flags { get; private set; }

    /// <summary>Acceptor only: display name of the authenticated client principal.</summary>
    public string? PeerName { get; private set; }

    /// <summary>Acceptor only: true when the client authenticated anonymously.</summary>
    public bool PeerIsAnonymous { get; private set; }

    /// <summary>When the context expires (from <c>time_rec</c>), or null if indefinite.</summary>
    public DateTimeOffset? Expires { get; private set; }

    /// <summary>Creates an acceptor context using <paramref name="credential"/>.</summary>
    public static GssContext CreateAcceptor(GssCredential credential) => new(credential, null);

    /// <summary>Creates an initiator context for <paramref name="target"/> (the context owns the name).</summary>
    public static GssContext CreateInitiator(GssName target, GssCredential? credential) => new(credential, target);

    /// <summary>
    /// Runs one gss_init_sec_context or gss_accept_sec_context step. <paramref name="input"/> is empty for the
    /// initiator's first step.
    /// </summary>
    public GssStepResult Step(ReadOnlySpan<byte> input)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return IsInitiator ? InitiateUnsynchronized(input) : AcceptUnsynchronized(input);
        }
    }

    /// <summary>Wraps <paramref name="plaintext"/> with confidentiality and integrity (conf_req_flag 1).</summary>
    public byte[] Wrap(ReadOnlySpan<byte> plaintext)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            uint minor;
            int confState;
            GssBufferDesc output = default;
            fixed (byte* p = plaintext)
            {
                var input = new GssBufferDesc { Length = (nuint)plaintext.Length, Value = p };
                uint major = GssNative.gss_wrap(&minor, _context, 1, 0, &input, &confState, &output);
                GssStatus.ThrowIfError(major, minor, "wrapping message");
            }

            return TakeBuffer(ref output);
        }
    }

    /// <summary>
    /// Computes a MIC (gss_get_mic, default QOP) over <paramref name="message"/>: the protocol v1 server returns
    /// one over every command it unwraps.
    /// </summary>
    public byte[] GetMic(ReadOnlySpan<byte> message)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            uint minor;
            GssBufferDesc output = default;
            fixed (byte* p = message)
            {
                var input = new GssBufferDesc { Length = (nuint)message.Length, Value = p };
                uint major = GssNative.gss_get_mic(&minor, _context, 0, &input, &output);
                GssStatus.ThrowIfError(major, minor, "computing MIC");
            }

            return TakeBuffer(ref output);
        }
    }

    /// <summary>Verifies a MIC over <paramref name="message"/> (gss_verify_mic); any non-complete status is an error.</summary>
    public void VerifyMic(ReadOnlySpan<byte> message, ReadOnlySpan<byte> mic)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            uint minor, qop;
            uint major;
            fixed (byte* m = message)
            fixed (byte* t = mic)
            {
                var input = new GssBufferDesc { Length = (nuint)message.Length, Value = m };
                var token = new GssBufferDesc { Length = (nuint)mic.Length, Value = t };
                major = GssNative.gss_verify_mic(&minor, _context, &input, &token, &qop);
            }

            if (major != GssNative.GSS_S_COMPLETE)
            {
                throw GssStatus.Create(major, minor, "verifying MIC");
            }
        }
    }

    /// <summary>
    /// Unwraps a token. Any supplementary status (replayed, out-of-sequence token) and a token without
    /// confidentiality are errors, as in remctl.
    /// </summary>
    public byte[] Unwrap(ReadOnlySpan<byte> token)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            uint minor;
            int confState;
            uint qop;
            GssBufferDesc output = default;
            uint major;
            fixed (byte* p = token)
            {
                var input = new GssBufferDesc { Length = (nuint)token.Length, Value = p };
                major = GssNative.gss_unwrap(&minor, _context, &input, &output, &confState, &qop);
            }

            byte[] result = TakeBuffer(ref output);
            if (major != GssNative.GSS_S_COMPLETE)
            {
                throw GssStatus.Create(major, minor, "unwrapping message");
            }

            if (confState == 0)
            {
                throw new RemctlGssException("GSS-API message was not encrypted", 0, 0);
            }

            return result;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_context != IntPtr.Zero)
            {
                uint minor;
                IntPtr ctx = _context;
                _ = GssNative.gss_delete_sec_context(&minor, &ctx, null);
                _context = IntPtr.Zero;
            }

            _target?.Dispose();
        }
    }

    private GssStepResult InitiateUnsynchronized(ReadOnlySpan<byte> input)
    {
        uint minor, flags = 0, timeRec = 0;
        GssBufferDesc output = default;
        uint major;
        bool credAdded = false, targetAdded = false;
        try
        {
            _credential?.DangerousAddRef(ref credAdded);
            _target!.DangerousAddRef(ref targetAdded);
            IntPtr ctx = _context;
            fixed (byte* p = input)
            {
                var inBuf = new GssBufferDesc { Length = (nuint)input.Length, Value = p };
                major = GssNative.gss_init_sec_context(&minor, _credential?.DangerousGetHandle() ?? IntPtr.Zero, &ctx,
                    _target.DangerousGetHandle(), GssOids.Krb5Mech, RequestedFlags, 0, IntPtr.Zero,
                    input.IsEmpty ? null : &inBuf, null, &output, &flags, &timeRec);
            }

            _context = ctx;
        }
        finally
        {
            if (credAdded)
            {
                _credential!.DangerousRelease();
            }

            if (targetAdded)
            {
                _target!.DangerousRelease();
            }
        }

        return Finish(major, minor, flags, timeRec, ref output, "initializing context");
    }

    private GssStepResult AcceptUnsynchronized(ReadOnlySpan<byte> input)
    {
        uint minor, flags = 0, timeRec = 0;
        GssBufferDesc output = default;
        IntPtr source = IntPtr.Zero;
        uint major;
        bool added = false;
        try
        {
            _credential!.DangerousAddRef(ref added);
            IntPtr ctx = _context;
            fixed (byte* p = input)
            {
                var inBuf = new GssBufferDesc { Length = (nuint)input.Length, Value = p };
                major = GssNative.gss_accept_sec_context(&minor, &ctx, _credential.DangerousGetHandle(), &inBuf,
                    IntPtr.Zero, &source, null, &output, &flags, &timeRec, null);
            }

            _context = ctx;
            if (major == GssNative.GSS_S_COMPLETE && source != IntPtr.Zero)
            {
                PeerName = GssName.Display(source, out bool anonymous);
                PeerIsAnonymous = anonymous;
            }
        }
        finally
        {
            GssName.Release(ref source);
            if (added)
            {
                _credential!.DangerousRelease();
            }
        }

        return Finish(major, minor, flags, timeRec, ref output, "accepting context");
    }

    private GssStepResult Finish(uint major, uint minor, uint flags, uint timeRec, ref GssBufferDesc output, string operation)
    {
        byte[]? token = output.Length == 0 ? null : TakeBuffer(ref output);
        if (output.Value != null)
        {
            TakeBuffer(ref output);
        }

        if (GssNative.IsError(major))
        {
            return new GssStepResult(token, false, GssStatus.Create(major, minor, operation));
        }

        Flags = flags;
        bool complete = major == GssNative.GSS_S_COMPLETE;
        if (complete)
        {
            IsEstablished = true;
            Expires = timeRec == GssNative.GSS_C_INDEFINITE ? null : DateTimeOffset.UtcNow.AddSeconds(timeRec);
        }

        return new GssStepResult(token, complete, null);
    }

    private static byte[] TakeBuffer(ref GssBufferDesc buffer)
    {
        byte[] result = buffer.Length == 0 ? [] : new ReadOnlySpan<byte>(buffer.Value, checked((int)buffer.Length)).ToArray();
        uint minor;
        fixed (GssBufferDesc* b = &buffer)
        {
            _ = GssNative.gss_release_buffer(&minor, b);
        }

        buffer = default;
        return result;
    }
}
