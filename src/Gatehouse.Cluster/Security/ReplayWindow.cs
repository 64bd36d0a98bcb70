namespace Gatehouse.Cluster.Security;

/// <summary>
/// A sliding anti-replay window over 64-bit counters (the scheme of IPsec ESP and WireGuard): the
/// highest counter accepted so far and a bitmap of the <see cref="Size"/> counters below it.
/// Datagrams may arrive out of order within the window; each counter is accepted once; counters
/// older than the window are refused. Not thread-safe: the keyring's lock covers it.
/// </summary>
public sealed class ReplayWindow
{
    private readonly ulong[] _bits;
    private ulong _highest;
    private bool _any;

    /// <summary>Creates a window of <paramref name="size"/> counters (a multiple of 64, 64 to 65,536).</summary>
    public ReplayWindow(int size)
    {
        if (size < 64 || size > 65_536 || size % 64 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "the replay window is a multiple of 64 counters, 64 to 65,536");
        }

        _bits = new ulong[size / 64];
    }

    /// <summary>Counters the window remembers below the highest one.</summary>
    public int Size => _bits.Length * 64;

    /// <summary>The highest counter accepted so far (0 before any).</summary>
    public ulong Highest => _highest;

    /// <summary>Whether <paramref name="counter"/> would be accepted: newer than the highest, or inside the window and not seen.</summary>
    public bool CanAccept(ulong counter)
    {
        if (!_any || counter > _highest)
        {
            return true;
        }

        ulong age = _highest - counter;
        if (age >= (ulong)Size)
        {
            return false;
        }

        return !IsSet(counter);
    }

    /// <summary>Records <paramref name="counter"/> as seen; call only after the datagram authenticated and <see cref="CanAccept"/> was true.</summary>
    public void Accept(ulong counter)
    {
        if (!_any)
        {
            _any = true;
            _highest = counter;
            Set(counter);
            return;
        }

        if (counter > _highest)
        {
            ulong advance = counter - _highest;
            if (advance >= (ulong)Size)
            {
                Array.Clear(_bits);
            }
            else
            {
                // Clear the bits of the counters the window slides past (they now stand for new counters).
                for (ulong c = _highest + 1; c <= counter; c++)
                {
                    Clear(c);
                }
            }

            _highest = counter;
        }

        Set(counter);
    }

    private bool IsSet(ulong counter)
    {
        int bit = (int)(counter % (ulong)Size);
        return (_bits[bit >> 6] & (1UL << (bit & 63))) != 0;
    }

    private void Set(ulong counter)
    {
        int bit = (int)(counter % (ulong)Size);
        _bits[bit >> 6] |= 1UL << (bit & 63);
    }

    private void Clear(ulong counter)
    {
        int bit = (int)(counter % (ulong)Size);
        _bits[bit >> 6] &= ~(1UL << (bit & 63));
    }
}
