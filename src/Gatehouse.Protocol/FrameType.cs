namespace Gatehouse.Protocol;

/// <summary>Frame types of protocol version 1 (docs/protocol.md section 2).</summary>
public enum FrameType : byte
{
    Hello = 0x0,
    Request = 0x1,
    Data = 0x2,
    Status = 0x3,
    WindowUpdate = 0x4,
    Cancel = 0x5,
    Ping = 0x6,
    GoAway = 0x7,
    /// <summary>A gateway's signed announcement of its next identity (section 2.9); only to peers whose HELLO set IDENTITY_NOTICES.</summary>
    Identity = 0x8,
}

/// <summary>Frame flags. Meaning depends on the frame type; undefined flags are ignored.</summary>
[Flags]
public enum FrameFlags : byte
{
    None = 0,
    /// <summary>REQUEST/DATA from the requester: no more stdin follows.</summary>
    EndStream = 0x1,
    /// <summary>PING: this is the answer.</summary>
#pragma warning disable CA1069 // ACK and END_STREAM share a bit on different frame types, as in the document.
    Ack = 0x1,
#pragma warning restore CA1069
    /// <summary>REQUEST: this frame ends the header block.</summary>
    EndHeaders = 0x4,
}
