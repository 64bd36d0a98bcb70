using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Tests;

/// <summary>The flow-control state types on their own: window arithmetic, limits and waiters.</summary>
public class FlowWindowTests
{
    [Fact]
    public void Stream_send_credit_grows_by_each_increment_and_shrinks_by_what_is_sent()
    {
        var credit = new StreamSendCredit(100);
        credit.Consume(60);
        Assert.Equal(CreditGrant.Granted, credit.Grant(10));
        Assert.Equal(50, credit.Window);
        credit.Consume(50);
        Assert.Equal(0, credit.Window);
    }

    [Fact]
    public void Stream_send_credit_refuses_a_zero_increment_and_keeps_its_window()
    {
        var credit = new StreamSendCredit(5);
        Assert.Equal(CreditGrant.ZeroIncrement, credit.Grant(0));
        Assert.Equal(5, credit.Window);
    }

    [Fact]
    public void Stream_send_credit_refuses_to_pass_2_pow_31_minus_1_but_may_reach_it()
    {
        var credit = new StreamSendCredit(ProtocolSettings.MaxWindow - 10);
        Assert.Equal(CreditGrant.Overflow, credit.Grant(11));
        Assert.Equal(ProtocolSettings.MaxWindow - 10, credit.Window);
        Assert.Equal(CreditGrant.Granted, credit.Grant(10));
        Assert.Equal(ProtocolSettings.MaxWindow, credit.Window);
        Assert.Equal(CreditGrant.Overflow, credit.Grant(int.MaxValue));
    }

    [Fact]
    public async Task Stream_send_credit_hands_its_waiter_out_once()
    {
        var credit = new StreamSendCredit(0);
        var wait = credit.Wait();
        Assert.True(credit.HasWaiter);
        Assert.Same(wait, credit.TakeWaiter());
        Assert.Null(credit.TakeWaiter());
        Assert.False(credit.HasWaiter);
        Assert.False(wait.Task.IsCompleted);
        wait.TrySetResult();
        await wait.Task;
    }

    [Fact]
    public void Connection_send_credit_starts_at_the_peers_window_and_is_charged_by_sends()
    {
        var sync = new object();
        var credit = new ConnectionSendCredit(sync);
        credit.SetInitial(65_536);
        lock (sync)
        {
            credit.ConsumeUnsynchronized(65_536);
            Assert.Equal(0, credit.WindowUnsynchronized);
        }

        Assert.Equal(CreditGrant.Granted, credit.Grant(1));
        lock (sync)
        {
            Assert.Equal(1, credit.WindowUnsynchronized);
        }
    }

    [Fact]
    public void Connection_send_credit_wakes_every_waiter_once_in_the_order_they_began_to_wait()
    {
        var sync = new object();
        var credit = new ConnectionSendCredit(sync);
        var woken = new List<int>();
        lock (sync)
        {
            for (int i = 0; i < 5; i++)
            {
                credit.AddWaiterUnsynchronized(new Waiter(i, woken));
            }
        }

        Assert.Equal(5, credit.WaiterCount);
        Assert.Equal(CreditGrant.Granted, credit.Grant(100));
        Assert.Equal([0, 1, 2, 3, 4], woken);
        Assert.Equal(0, credit.WaiterCount);

        // Forgotten once woken: a second update wakes nobody.
        Assert.Equal(CreditGrant.Granted, credit.Grant(100));
        Assert.Equal(5, woken.Count);
    }

    [Fact]
    public void Connection_send_credit_wakes_nobody_on_a_zero_or_overflowing_update()
    {
        var sync = new object();
        var credit = new ConnectionSendCredit(sync);
        credit.SetInitial(ProtocolSettings.MaxWindow);
        var woken = new List<int>();
        lock (sync)
        {
            credit.AddWaiterUnsynchronized(new Waiter(1, woken));
        }

        Assert.Equal(CreditGrant.ZeroIncrement, credit.Grant(0));
        Assert.Equal(CreditGrant.Overflow, credit.Grant(1));
        Assert.Empty(woken);
        lock (sync)
        {
            Assert.Equal(ProtocolSettings.MaxWindow, credit.WindowUnsynchronized);
        }
    }

    [Fact]
    public void Connection_send_credit_releases_every_waiter_when_woken_without_credit_as_on_close()
    {
        var sync = new object();
        var credit = new ConnectionSendCredit(sync);
        var woken = new List<int>();
        lock (sync)
        {
            credit.AddWaiterUnsynchronized(new Waiter(7, woken));
            credit.AddWaiterUnsynchronized(new Waiter(8, woken));
        }

        credit.WakeAll();
        Assert.Equal([7, 8], woken);
        Assert.Equal(0, credit.WaiterCount);
        credit.WakeAll();
        Assert.Equal(2, woken.Count);
    }

    [Fact]
    public void Stream_receive_window_refuses_data_beyond_the_credit_granted()
    {
        var window = new StreamReceiveWindow(100);
        Assert.True(window.TryConsume(100));
        Assert.Equal(0, window.Remaining);
        Assert.False(window.TryConsume(1));
    }

    [Fact]
    public void Stream_receive_window_returns_credit_in_batches_of_half_a_window_and_widens_first()
    {
        var window = new StreamReceiveWindow(100);
        Assert.True(window.TryConsume(100));
        Assert.Equal(0, window.Return(30));
        Assert.Equal(0, window.Remaining);
        Assert.Equal(50, window.Return(20));
        Assert.Equal(50, window.Remaining);
        Assert.Equal(0, window.Return(49));
        Assert.Equal(50, window.Return(1));
        Assert.Equal(100, window.Remaining);
    }

    [Fact]
    public void Stream_receive_window_of_one_byte_returns_every_byte()
    {
        var window = new StreamReceiveWindow(1);
        Assert.True(window.TryConsume(1));
        Assert.Equal(1, window.Return(1));
        Assert.True(window.TryConsume(1));
    }

    [Fact]
    public void Connection_receive_window_refuses_data_beyond_the_credit_granted_and_charges_nothing()
    {
        var window = new ConnectionReceiveWindow(65_536, maxBufferedInput: 1 << 20);
        Assert.True(window.TryConsume(65_000));
        Assert.False(window.TryConsume(537));
        Assert.Equal(536, window.Remaining);
        Assert.True(window.TryConsume(536));
    }

    [Fact]
    public void Connection_receive_window_returns_credit_at_once_while_within_the_input_bound()
    {
        var window = new ConnectionReceiveWindow(100, maxBufferedInput: 1000);
        Assert.True(window.TryConsume(100));
        Assert.Equal(0, window.Delivered(40));
        Assert.Equal(100, window.Delivered(60));
        Assert.Equal(100, window.Remaining);
        Assert.Equal(100, window.Held);

        // Consuming within the bound gives nothing more back: the credit already went.
        Assert.Equal(0, window.Consumed(100));
        Assert.Equal(0, window.Held);
    }

    [Fact]
    public void Connection_receive_window_withholds_credit_beyond_the_input_bound_until_consumers_take_data()
    {
        var window = new ConnectionReceiveWindow(100, maxBufferedInput: 50);
        Assert.True(window.TryConsume(100));
        Assert.Equal(50, window.Delivered(50));
        Assert.Equal(0, window.Delivered(50));
        Assert.Equal(50, window.Remaining);
        Assert.Equal(100, window.Held);

        // The owed 50 come back as 50 bytes are consumed (in one update: half the window).
        Assert.Equal(0, window.Consumed(20));
        Assert.Equal(50, window.Consumed(30));
        Assert.Equal(100, window.Remaining);
        Assert.Equal(0, window.Consumed(50));
        Assert.Equal(0, window.Held);
    }

    [Fact]
    public void Connection_receive_window_returns_credit_of_data_for_closed_streams()
    {
        var window = new ConnectionReceiveWindow(100, maxBufferedInput: 0);
        Assert.True(window.TryConsume(100));
        Assert.Equal(0, window.Return(49));
        Assert.Equal(50, window.Return(1));
        Assert.Equal(50, window.Remaining);
        Assert.Equal(0, window.Held);
    }

    private sealed class Waiter(int id, List<int> woken) : ICreditWaiter
    {
        public void WakeWriter() => woken.Add(id);
    }
}
