using System.Buffers;
using System.Text;

namespace Gatehouse.Protocol.Tests;

/// <summary>Decoding request headers with a connection's string cache.</summary>
public class HeaderStringCacheTests
{
    private static byte[] Encode(RequestHeader header)
    {
        var block = new byte[RequestHeaderCodec.GetSize(header)];
        RequestHeaderCodec.Write(header, block);
        return block;
    }

    private static readonly string LongValue = new('v', HeaderStringCache.MaxLength + 1);

    private static RequestHeader Sample(string user) => new()
    {
        Domain = "mail",
        Command = "queue",
        Arguments = [Encoding.UTF8.GetBytes("flush")],
        Metadata = [new("REMOTE_USER", user), new("REMOTE_ADDR", "192.0.2.7:40112"), new("LONG", LongValue)],
    };

    [Fact]
    public void Repeated_strings_are_the_same_instances_and_decode_equal()
    {
        // The cache's hash is fixed, so which of these strings share a set is the same on every run
        // (an earlier, per-process-seeded hash made this test depend on luck).
        var cache = new HeaderStringCache();
        var first = RequestHeaderCodec.Read(new ReadOnlySequence<byte>(Encode(Sample("alice"))), 10, 1, cache);
        var second = RequestHeaderCodec.Read(new ReadOnlySequence<byte>(Encode(Sample("alice"))), 10, 3, cache);

        Assert.Equal("mail", second.Domain);
        Assert.Same(first.Domain, second.Domain);
        Assert.Same(first.Command, second.Command);
        Assert.Same(first.Metadata[0].Key, second.Metadata[0].Key);
        Assert.Same(first.Metadata[0].Value, second.Metadata[0].Value);
        Assert.Same(first.Metadata[1].Value, second.Metadata[1].Value);

        // Too long to cache: equal, decoded anew.
        Assert.Equal(LongValue, second.Metadata[2].Value);
        Assert.NotSame(first.Metadata[2].Value, second.Metadata[2].Value);
    }

    [Fact]
    public void Different_bytes_never_share_a_string_even_in_the_same_slot()
    {
        var cache = new HeaderStringCache();
        // Many distinct users through a 64-slot table: collisions replace, never confuse.
        for (int i = 0; i < 500; i++)
        {
            string user = "user" + i;
            var header = RequestHeaderCodec.Read(new ReadOnlySequence<byte>(Encode(Sample(user))), 10, 1, cache);
            Assert.Equal(user, header.Metadata[0].Value);
            var again = RequestHeaderCodec.Read(new ReadOnlySequence<byte>(Encode(Sample(user))), 10, 1, cache);
            Assert.Equal(user, again.Metadata[0].Value);
        }
    }

    [Fact]
    public void Two_strings_of_one_set_both_stay_and_a_third_evicts_the_least_recently_used()
    {
        var cache = new HeaderStringCache();
        // Find three names that share a set (the hash is fixed, so this is deterministic).
        var bySet = new Dictionary<int, List<string>>();
        List<string>? same = null;
        for (int i = 0; same is null; i++)
        {
            string name = "name" + i;
            cache.Find(Encoding.UTF8.GetBytes(name), out int set);
            var list = bySet.TryGetValue(set, out var l) ? l : bySet[set] = [];
            list.Add(name);
            if (list.Count == 3)
            {
                same = list;
            }
        }

        string Get(string name)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(name);
            if (cache.Find(bytes, out int set) is { } hit)
            {
                return hit;
            }

            string made = new(name.AsSpan());
            cache.Add(set, bytes, made);
            return made;
        }

        string a = Get(same[0]), b = Get(same[1]);
        for (int round = 0; round < 3; round++)
        {
            Assert.Same(a, Get(same[0]));
            Assert.Same(b, Get(same[1]));
        }

        // b was used last; the third string evicts a, and b is still there.
        string c = Get(same[2]);
        Assert.Same(b, Get(same[1]));
        Assert.Same(c, Get(same[2]));
        Assert.NotSame(a, Get(same[0]));
        Assert.Equal(same[0], Get(same[0]));
    }

    [Fact]
    public void Split_blocks_and_invalid_utf8_are_handled_as_without_a_cache()
    {
        var cache = new HeaderStringCache();
        byte[] block = Encode(Sample("bob"));
        // Split the block in every place: values that straddle segments still decode (and cache).
        for (int cut = 1; cut < block.Length; cut++)
        {
            var header = RequestHeaderCodec.Read(Segments(block, cut), 10, 1, cache);
            Assert.Equal("bob", header.Metadata[0].Value);
            Assert.Equal("192.0.2.7:40112", header.Metadata[1].Value);
        }

        // A metadata value that is not UTF-8 is refused with or without a cache, even right after
        // a valid one was cached.
        var bad = Sample("bob") with { Metadata = [new("REMOTE_USER", "bob")] };
        byte[] badBlock = Encode(bad);
        int at = Array.LastIndexOf(badBlock, (byte)'b');
        badBlock[at] = 0xFF;
        var ex = Assert.Throws<ProtocolException>(() => RequestHeaderCodec.Read(new ReadOnlySequence<byte>(badBlock), 10, 5, cache));
        Assert.Equal(ErrorCode.BadCommand, ex.Code);
    }

    private static ReadOnlySequence<byte> Segments(byte[] block, int cut)
    {
        var first = new Segment(block.AsMemory(0, cut));
        var last = first.Append(block.AsMemory(cut));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
