namespace Gatehouse.Protocol;

/// <summary>
/// The limits one side states in its HELLO (docs/protocol.md section 4). Defaults are the safe
/// values the document lists; <see cref="Validate"/> enforces the allowed ranges.
/// </summary>
public sealed record ProtocolSettings
{
    public const int MinFrameSize = 16_384;
    public const int MaxFrameSizeLimit = 16_777_215;
    public const int MaxWindow = int.MaxValue;

    /// <summary>Largest frame payload this side accepts.</summary>
    public int MaxFrameSize { get; init; } = 65_536;

    /// <summary>Initial credit this side grants each stream.</summary>
    public int InitialStreamWindow { get; init; } = 1_048_576;

    /// <summary>Initial credit this side grants the connection.</summary>
    public int ConnectionWindow { get; init; } = 16_777_216;

    /// <summary>Streams the peer may have open towards this side.</summary>
    public int MaxConcurrentStreams { get; init; } = 1_024;

    /// <summary>Largest REQUEST header block this side accepts.</summary>
    public int MaxHeaderSize { get; init; } = 1_048_576;

    /// <summary>Largest argument count this side accepts in a request.</summary>
    public int MaxArguments { get; init; } = 4_096;

    /// <summary>Idle time before this side pings; 0 turns keepalive off.</summary>
    public int KeepAliveIntervalMs { get; init; } = 30_000;

    /// <summary>
    /// This side, as a requester, follows see-other-host redirects (<see cref="ErrorCode.SeeOtherHost"/>):
    /// a gateway may answer its requests for routes another cluster member hosts with a redirect
    /// instead of forwarding them. Sent only when true (setting 8, value 1).
    /// </summary>
    public bool FollowsRedirects { get; init; }

    /// <summary>
    /// This side, as a dialer, accepts IDENTITY frames (a gateway's signed announcement of its next
    /// key, docs/protocol.md section 2.9). Sent only when true (setting 9, value 1).
    /// </summary>
    public bool AcceptsIdentityNotices { get; init; }

    /// <summary>Setting ids on the wire.</summary>
    public enum Id : ushort
    {
        MaxFrameSize = 1,
        InitialStreamWindow = 2,
        ConnectionWindow = 3,
        MaxConcurrentStreams = 4,
        MaxHeaderSize = 5,
        MaxArguments = 6,
        KeepAliveIntervalMs = 7,
        FollowsRedirects = 8,
        IdentityNotices = 9,
    }

    /// <summary>Default settings.</summary>
    public static ProtocolSettings Default { get; } = new();

    /// <summary>Throws <see cref="ProtocolException"/> when a value is outside its allowed range.</summary>
    public ProtocolSettings Validate()
    {
        Check(MaxFrameSize >= MinFrameSize && MaxFrameSize <= MaxFrameSizeLimit, "MAX_FRAME_SIZE");
        Check(InitialStreamWindow >= 1, "INITIAL_STREAM_WINDOW");
        Check(ConnectionWindow >= 65_536, "CONNECTION_WINDOW");
        Check(MaxConcurrentStreams >= 1, "MAX_CONCURRENT_STREAMS");
        Check(MaxHeaderSize >= 1_024 && MaxHeaderSize <= MaxFrameSizeLimit, "MAX_HEADER_SIZE");
        Check(MaxArguments >= 1, "MAX_ARGUMENTS");
        Check(KeepAliveIntervalMs >= 0, "KEEPALIVE_INTERVAL_MS");
        return this;

        static void Check(bool ok, string name)
        {
            if (!ok)
            {
                ProtocolException.Throw(ErrorCode.ProtocolError, $"HELLO setting {name} is out of range");
            }
        }
    }

    /// <summary>Applies one received setting; unknown ids are ignored as the document says.</summary>
    public ProtocolSettings With(ushort id, uint value)
    {
        int v = value > int.MaxValue ? int.MaxValue : (int)value;
        return (Id)id switch
        {
            Id.MaxFrameSize => this with { MaxFrameSize = v },
            Id.InitialStreamWindow => this with { InitialStreamWindow = v },
            Id.ConnectionWindow => this with { ConnectionWindow = v },
            Id.MaxConcurrentStreams => this with { MaxConcurrentStreams = v },
            Id.MaxHeaderSize => this with { MaxHeaderSize = v },
            Id.MaxArguments => this with { MaxArguments = v },
            Id.KeepAliveIntervalMs => this with { KeepAliveIntervalMs = v },
            Id.FollowsRedirects => this with { FollowsRedirects = value == 1 },
            Id.IdentityNotices => this with { AcceptsIdentityNotices = value == 1 },
            _ => this,
        };
    }
}
