namespace Gatehouse.Transport.Internal;

/// <summary>
/// What a WINDOW_UPDATE did to a send window (docs/protocol.md section 2.5). The caller turns the
/// two failures into a <c>FLOW_CONTROL_ERROR</c>: a connection error on stream 0, a stream error
/// otherwise.
/// </summary>
internal enum CreditGrant : byte
{
    /// <summary>The window grew by the increment.</summary>
    Granted,

    /// <summary>An increment of 0; the window is unchanged.</summary>
    ZeroIncrement,

    /// <summary>The increment would push the window past 2^31-1; the window is unchanged.</summary>
    Overflow,
}
