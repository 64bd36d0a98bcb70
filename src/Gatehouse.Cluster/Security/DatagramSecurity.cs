using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Cluster.Security;

/// <summary>
/// Seals this member's datagrams under its own send key and opens other members' datagrams with the
/// keys the integration layer installed (docs/cluster.md, "Security"). AES-256-GCM; the clear header
/// is the associated data; the 64-bit counter is the nonce and the replay guard.
/// </summary>
/// <remarks>
/// <code>
/// +---------+--------+-----------+--------+-------------+------------+---------+
/// | version | id len | sender id | key id | counter     | ciphertext | tag     |
/// | u8 = 1  | u8     | 1..64 B   | u32    | u64         | body bytes | 16 B    |
/// +---------+--------+-----------+--------+-------------+------------+---------+
///  \________________ associated data (clear) _________/
/// nonce (12 B) = key id (u32) || counter (u64), big-endian
/// </code>
/// Thread-safe: one lock covers sealing, opening and the keyring. Each counter value is used once per
/// key (the key is random per member and rotation resets nothing but the counter's meaning).
/// </remarks>
public sealed class DatagramSecurity : IDisposable
{
    /// <summary>The only version this code seals and opens.</summary>
    public const byte Version = 1;

    /// <summary>AES-GCM tag length.</summary>
    public const int TagBytes = 16;

    private const int NonceBytes = 12;

    private readonly Lock _lock = new();
    private readonly DatagramSecurityOptions _options;
    private readonly byte[] _header;
    private readonly Dictionary<string, SenderKeys> _senders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SenderKeys>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly Queue<ReceiveKey> _cipherAge = new();
    private int _liveCiphers;
    private SendKey _send;
    private AesGcm _sendCipher;
    private SendKey? _next;
    private ulong _counter;
    private bool _disposed;

    /// <summary>Creates the security of member <paramref name="localMemberId"/> with a fresh random send key.</summary>
    public DatagramSecurity(string localMemberId, DatagramSecurityOptions? options = null)
    {
        int idBytes = MessageWriter.IdSize(localMemberId) - 1;
        _options = options ?? DatagramSecurityOptions.Default;
        LocalMemberId = localMemberId;
        _header = new byte[HeaderSize(idBytes)];
        _header[0] = Version;
        _header[1] = (byte)idBytes;
        Encoding.UTF8.GetBytes(localMemberId, _header.AsSpan(2));
        _send = SendKey.Generate(BinaryPrimitives.ReadUInt32BigEndian(RandomNumberGenerator.GetBytes(4)) & 0x7FFF_FFFF);
        _sendCipher = new AesGcm(_send.Key.Span, TagBytes);
        _byChars = _senders.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>This member's id, carried in the clear header of every datagram it seals.</summary>
    public string LocalMemberId { get; }

    /// <summary>Datagrams by outcome.</summary>
    public SecurityCounters Counters { get; } = new();

    /// <summary>The key this member seals with now; the integration layer hands it to every other member.</summary>
    public SendKey CurrentSendKey
    {
        get
        {
            lock (_lock)
            {
                return _send;
            }
        }
    }

    /// <summary>The key prepared by <see cref="PrepareNextSendKey"/> and not active yet, or null.</summary>
    public SendKey? NextSendKey
    {
        get
        {
            lock (_lock)
            {
                return _next;
            }
        }
    }

    /// <summary>Bytes sealing adds to a body: the clear header and the tag.</summary>
    public int Overhead => _header.Length + TagBytes;

    /// <summary>The largest body that fits in a datagram of <paramref name="maxDatagram"/> bytes once sealed.</summary>
    public int MaxBody(int maxDatagram) => maxDatagram - Overhead;

    /// <summary>
    /// Rotation, step 1: makes (or returns the already made) next send key, not used yet. Hand it to
    /// every member, then call <see cref="ActivateNextSendKey"/>.
    /// </summary>
    public SendKey PrepareNextSendKey()
    {
        lock (_lock)
        {
            return _next ??= SendKey.Generate(unchecked(_send.KeyId + 1));
        }
    }

    /// <summary>Rotation, step 2: seals with the prepared key from now on (prepares one first if none was).</summary>
    public SendKey ActivateNextSendKey()
    {
        lock (_lock)
        {
            SendKey next = _next ?? SendKey.Generate(unchecked(_send.KeyId + 1));
            _next = null;
            _sendCipher.Dispose();
            _send = next;
            _sendCipher = new AesGcm(next.Key.Span, TagBytes);
            _counter = 0;
            return next;
        }
    }

    /// <summary>
    /// Seals <paramref name="body"/> into <paramref name="destination"/> under the current send key.
    /// </summary>
    /// <returns>The datagram's length: <see cref="Overhead"/> + the body's.</returns>
    public int Seal(ReadOnlySpan<byte> body, Span<byte> destination)
    {
        int total = _header.Length + body.Length + TagBytes;
        if (destination.Length < total)
        {
            throw new ArgumentException($"{total} bytes needed, {destination.Length} available", nameof(destination));
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_counter == ulong.MaxValue - 1)
            {
                // 2^64 datagrams under one key cannot happen in practice; refuse rather than reuse a nonce.
                throw new InvalidOperationException("send counter exhausted: rotate the send key");
            }

            ulong counter = ++_counter;
            _header.CopyTo(destination);
            int idEnd = 2 + _header[1];
            BinaryPrimitives.WriteUInt32BigEndian(destination[idEnd..], _send.KeyId);
            BinaryPrimitives.WriteUInt64BigEndian(destination[(idEnd + 4)..], counter);
            ReadOnlySpan<byte> aad = destination[.._header.Length];
            Span<byte> nonce = stackalloc byte[NonceBytes];
            destination.Slice(idEnd, NonceBytes).CopyTo(nonce);
            _sendCipher.Encrypt(nonce, body, destination.Slice(_header.Length, body.Length), destination.Slice(_header.Length + body.Length, TagBytes), aad);
            Counters.CountSealed();
            return total;
        }
    }

    /// <summary>
    /// Authenticates and decrypts a datagram. On <see cref="OpenResult.Ok"/>, <paramref name="senderId"/>
    /// is the authenticated sender and the body is in <paramref name="body"/>[..<paramref name="bodyLength"/>].
    /// Every other result is counted in <see cref="Counters"/> and the datagram must be dropped. Never throws
    /// for anything the datagram holds.
    /// </summary>
    public OpenResult Open(ReadOnlySpan<byte> datagram, Span<byte> body, out string? senderId, out int bodyLength)
    {
        lock (_lock)
        {
            OpenResult result = OpenUnsynchronized(datagram, body, out senderId, out bodyLength);
            Counters.Count(result);
            if (result != OpenResult.Ok)
            {
                senderId = result is OpenResult.Malformed ? null : senderId;
                bodyLength = 0;
            }

            return result;
        }
    }

    private OpenResult OpenUnsynchronized(ReadOnlySpan<byte> datagram, Span<byte> body, out string? senderId, out int bodyLength)
    {
        senderId = null;
        bodyLength = 0;
        if (_disposed || datagram.Length > WireLimits.MaxDatagramBytes || datagram.Length < 2 || datagram[0] != Version)
        {
            return OpenResult.Malformed;
        }

        int idLength = datagram[1];
        if (idLength is 0 or > WireLimits.MaxMemberIdBytes)
        {
            return OpenResult.Malformed;
        }

        int headerLength = HeaderSize(idLength);
        if (datagram.Length < headerLength + TagBytes)
        {
            return OpenResult.Malformed;
        }

        Span<char> chars = stackalloc char[WireLimits.MaxMemberIdBytes];
        if (!Utf8.IsValid(datagram.Slice(2, idLength)))
        {
            return OpenResult.Malformed;
        }

        int charCount = Encoding.UTF8.GetChars(datagram.Slice(2, idLength), chars);
        if (!_byChars.TryGetValue(chars[..charCount], out string? storedId, out SenderKeys? sender))
        {
            return OpenResult.UnknownSender;
        }

        senderId = storedId;
        if (sender.Revoked)
        {
            return OpenResult.Revoked;
        }

        int idEnd = 2 + idLength;
        uint keyId = BinaryPrimitives.ReadUInt32BigEndian(datagram[idEnd..]);
        ulong counter = BinaryPrimitives.ReadUInt64BigEndian(datagram[(idEnd + 4)..]);
        ReceiveKey? key = sender.Find(keyId);
        if (key is null)
        {
            return sender.Retired.Contains(keyId) ? OpenResult.StaleKey : OpenResult.UnknownKey;
        }

        if (!key.Window.CanAccept(counter))
        {
            return OpenResult.Replayed;
        }

        int ciphertextLength = datagram.Length - headerLength - TagBytes;
        if (body.Length < ciphertextLength)
        {
            return OpenResult.Malformed;
        }

        AesGcm cipher = key.Cipher ?? MakeCipher(key);
        try
        {
            cipher.Decrypt(datagram.Slice(idEnd, NonceBytes), datagram.Slice(headerLength, ciphertextLength), datagram[(headerLength + ciphertextLength)..], body[..ciphertextLength], datagram[..headerLength]);
        }
        catch (AuthenticationTagMismatchException)
        {
            // Forged or corrupted: the tag is the only proof of origin; counted by the caller.
            body[..ciphertextLength].Clear();
            return OpenResult.Forged;
        }

        key.Window.Accept(counter);
        bodyLength = ciphertextLength;
        return OpenResult.Ok;
    }

    /// <summary>
    /// Installs <paramref name="key"/> as member <paramref name="memberId"/>'s newest send key (delivered by
    /// the integration layer over mutual TLS). The key it replaces stays accepted as the previous key (the
    /// rotation grace) and the one before that is retired. Installing a key for a removed member admits it again.
    /// Installing the same id and bytes again changes nothing; the same id with other bytes (a restarted member)
    /// replaces it with a fresh replay window.
    /// </summary>
    public void InstallKey(string memberId, uint keyId, ReadOnlySpan<byte> key)
    {
        MessageWriter.IdSize(memberId);
        if (key.Length != SendKey.KeyBytes)
        {
            throw new ArgumentException($"a send key is {SendKey.KeyBytes} bytes, not {key.Length}", nameof(key));
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_senders.TryGetValue(memberId, out SenderKeys? sender))
            {
                sender = new SenderKeys(memberId);
                _senders.Add(memberId, sender);
            }

            if (!sender.Revoked && sender.Newest is not null && sender.Retired.Contains(keyId))
            {
                // A key this member rotated away from, delivered late (an exchange message overtaken
                // by a newer one): installing it would push out a key in use.
                return;
            }

            sender.Revoked = false;
            if ((sender.Newest is { } newest && newest.KeyId == keyId && newest.SameKey(key))
                || (sender.Previous is { } held && held.KeyId == keyId && held.SameKey(key)))
            {
                // Held already (a rotation's old and new key arrive in any order): its replay window stays.
                return;
            }

            sender.Retired.Remove(keyId);
            if (sender.Previous is { } prev && (prev.KeyId == keyId || sender.Newest?.KeyId == keyId))
            {
                // The same id again with other bytes: a restarted member; its old keys mean nothing now.
                Drop(prev);
                sender.Previous = null;
            }

            if (sender.Newest is { } old)
            {
                if (old.KeyId == keyId)
                {
                    Drop(old);
                }
                else
                {
                    if (sender.Previous is { } older)
                    {
                        Retire(sender, older);
                    }

                    sender.Previous = old;
                }
            }

            sender.Newest = new ReceiveKey(keyId, key, _options.ReplayWindow);
        }
    }

    /// <summary>Stops accepting every key of <paramref name="memberId"/> but its newest (ends the rotation grace early).</summary>
    public void RetireOldKeys(string memberId)
    {
        lock (_lock)
        {
            if (_senders.TryGetValue(memberId, out SenderKeys? sender) && sender.Previous is { } prev)
            {
                Retire(sender, prev);
                sender.Previous = null;
            }
        }
    }

    /// <summary>
    /// Revokes <paramref name="memberId"/>: its keys are destroyed and its datagrams are dropped (counted as
    /// <see cref="OpenResult.Revoked"/>) from this call on, until a key is installed for it again.
    /// </summary>
    /// <returns>False when no key was ever installed for it.</returns>
    public bool RemoveMember(string memberId)
    {
        lock (_lock)
        {
            if (!_senders.TryGetValue(memberId, out SenderKeys? sender))
            {
                return false;
            }

            if (sender.Newest is { } n)
            {
                Retire(sender, n);
            }

            if (sender.Previous is { } p)
            {
                Retire(sender, p);
            }

            sender.Newest = null;
            sender.Previous = null;
            sender.Revoked = true;
            return true;
        }
    }

    /// <summary>Whether a key is installed for <paramref name="memberId"/> and it is not revoked.</summary>
    public bool HasKeyFor(string memberId)
    {
        lock (_lock)
        {
            return _senders.TryGetValue(memberId, out SenderKeys? s) && !s.Revoked && s.Newest is not null;
        }
    }

    /// <summary>Destroys every key.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _sendCipher.Dispose();
            foreach (SenderKeys s in _senders.Values)
            {
                s.Newest?.Dispose();
                s.Previous?.Dispose();
            }

            _senders.Clear();
        }
    }

    private static int HeaderSize(int idBytes) => 2 + idBytes + 4 + 8;

    private AesGcm MakeCipher(ReceiveKey key)
    {
        AesGcm cipher = key.MakeCipher();
        _liveCiphers++;
        _cipherAge.Enqueue(key);
        while (_liveCiphers > _options.MaxCachedCiphers && _cipherAge.TryDequeue(out ReceiveKey? oldest))
        {
            if (oldest.Cipher is not null && !ReferenceEquals(oldest.Cipher, cipher))
            {
                oldest.DropCipher();
                _liveCiphers--;
            }
        }

        return cipher;
    }

    private void Drop(ReceiveKey key)
    {
        if (key.Cipher is not null)
        {
            _liveCiphers--;
        }

        key.Dispose();
    }

    private void Retire(SenderKeys sender, ReceiveKey key)
    {
        if (key.Cipher is not null)
        {
            _liveCiphers--;
        }

        sender.Retire(key, _options.RetiredKeysRemembered);
    }
}
