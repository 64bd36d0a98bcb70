namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Flags octet of a remctl token (draft-allbery-remctl section 2.1). Versions 2 and 3 use only
/// <see cref="Context"/>, <see cref="ContextNext"/>, <see cref="Data"/> and <see cref="Protocol"/>
/// (plus <see cref="Noop"/> in the very first token); the others belong to the legacy version 1 protocol.
/// </summary>
[Flags]
public enum RemctlTokenFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>TOKEN_NOOP: initial, empty token.</summary>
    Noop = 0x01,
    /// <summary>TOKEN_CONTEXT: GSS-API context negotiation token.</summary>
    Context = 0x02,
    /// <summary>TOKEN_DATA: gss_wrap-protected data payload.</summary>
    Data = 0x04,
    /// <summary>TOKEN_MIC: version 1 MIC reply.</summary>
    Mic = 0x08,
    /// <summary>TOKEN_CONTEXT_NEXT: context negotiation follows.</summary>
    ContextNext = 0x10,
    /// <summary>TOKEN_SEND_MIC: version 1 request for a MIC.</summary>
    SendMic = 0x20,
    /// <summary>TOKEN_PROTOCOL: the sender speaks protocol version 2 or later.</summary>
    Protocol = 0x40,
}

/// <summary>Message types carried inside a wrapped data token (draft section 3.1).</summary>
public enum RemctlMessageType : byte
{
    /// <summary>MESSAGE_COMMAND (client to server).</summary>
    Command = 1,
    /// <summary>MESSAGE_QUIT (client to server).</summary>
    Quit = 2,
    /// <summary>MESSAGE_OUTPUT (server to client).</summary>
    Output = 3,
    /// <summary>MESSAGE_STATUS (server to client).</summary>
    Status = 4,
    /// <summary>MESSAGE_ERROR (server to client).</summary>
    Error = 5,
    /// <summary>MESSAGE_VERSION (server to client).</summary>
    Version = 6,
    /// <summary>MESSAGE_NOOP (both directions, protocol version 3).</summary>
    Noop = 7,
}

/// <summary>Continue status of a MESSAGE_COMMAND chunk (draft section 3.2).</summary>
public enum RemctlContinueStatus : byte
{
    /// <summary>0: the complete command.</summary>
    Complete = 0,
    /// <summary>1: first chunk, more follows.</summary>
    First = 1,
    /// <summary>2: middle chunk, more follows.</summary>
    Middle = 2,
    /// <summary>3: last chunk.</summary>
    Last = 3,
}

/// <summary>Fixed limits and constants of the remctl protocol.</summary>
public static class RemctlLimits
{
    /// <summary>IANA-registered remctl port.</summary>
    public const int DefaultPort = 4373;

    /// <summary>Size of the token prefix: flags (1) and length (4).</summary>
    public const int TokenHeaderSize = 5;

    /// <summary>Largest token payload accepted (1 MiB, TOKEN_MAX_LENGTH in remctl).</summary>
    public const int MaxTokenPayload = 1024 * 1024;

    /// <summary>Largest plaintext passed to gss_wrap (64 KiB, TOKEN_MAX_DATA).</summary>
    public const int MaxMessage = 64 * 1024;

    /// <summary>Largest data in one MESSAGE_OUTPUT (64 KiB minus version, type, stream and length).</summary>
    public const int MaxOutputChunk = MaxMessage - 1 - 1 - 1 - 4;

    /// <summary>Highest protocol version this library speaks.</summary>
    public const byte HighestVersion = 3;

    /// <summary>remctld's default maximum number of command arguments (COMMAND_MAX_ARGS).</summary>
    public const int DefaultMaxArguments = 4 * 1024;

    /// <summary>remctld's default maximum total command size in bytes (COMMAND_MAX_DATA, 100 MiB).</summary>
    public const long DefaultMaxCommandBytes = 100L * 1024 * 1024;

    /// <summary>Flags of the first client token in protocol v2/v3: NOOP | CONTEXT_NEXT | PROTOCOL (0x51).</summary>
    public const RemctlTokenFlags InitialV2 = RemctlTokenFlags.Noop | RemctlTokenFlags.ContextNext | RemctlTokenFlags.Protocol;

    /// <summary>Flags of the first client token in protocol v1: NOOP | CONTEXT_NEXT (0x11).</summary>
    public const RemctlTokenFlags InitialV1 = RemctlTokenFlags.Noop | RemctlTokenFlags.ContextNext;

    /// <summary>Flags of every context token in protocol v2/v3 (0x42).</summary>
    public const RemctlTokenFlags ContextV2 = RemctlTokenFlags.Context | RemctlTokenFlags.Protocol;

    /// <summary>Flags of every data token in protocol v2/v3 (0x44).</summary>
    public const RemctlTokenFlags DataV2 = RemctlTokenFlags.Data | RemctlTokenFlags.Protocol;
}
