namespace PriceFeed.Server.Fanout;

/// <summary>The link of an intrusive <see cref="PendingQueue{T}"/>: a node is its own queue entry.</summary>
internal abstract class PendingNode<T>
    where T : PendingNode<T>
{
    /// <summary>The next node in the queue; written by producers and the consumer as the algorithm says.</summary>
    internal T? Next;
}

/// <summary>
/// The conflation queue of one client: subscriptions (of quotes, or of bars) with an update pending, in the
/// order they became pending. Intrusive (the subscriptions are the nodes), so enqueueing allocates nothing.
/// </summary>
/// <remarks>
/// <para>Producers (<see cref="Enqueue"/>): the fan-out thread, and the session's own drain, which
/// queues a subscription whose update the <see cref="QuoteLog"/> lost so its latest goes out instead;
/// the algorithm takes any number of producers. Consumer: the session's event loop only
/// (<see cref="TryDequeue"/>). A subscription is in the queue at most once, which its
/// <see cref="SymbolSubscription.Pending"/> flag ensures (whoever flips it from 0 to 1 enqueues), so
/// the queue never holds more entries than the client has subscriptions.</para>
/// <para>The algorithm is Dmitry Vyukov's intrusive MPSC node queue: one atomic exchange per
/// enqueue, none per dequeue, and a stub node so the consumer can always hand back the last real node.</para>
/// </remarks>
internal sealed class PendingQueue<T>
    where T : PendingNode<T>
{
    private readonly T _stub;
    private T _head;  // producer side: last node enqueued
    private T _tail;  // consumer side: next node to look at

    /// <param name="stub">A node of its own that no producer ever enqueues: the queue's stub, which keeps it never empty.</param>
    public PendingQueue(T stub)
    {
        _stub = stub;
        _head = _stub;
        _tail = _stub;
    }

    /// <summary>Adds <paramref name="node"/> at the end. Any thread that flipped the node's pending flag to 1.</summary>
    public void Enqueue(T node)
    {
        node.Next = null;
        var previous = Interlocked.Exchange(ref _head, node);
        Volatile.Write(ref previous.Next, node);
    }

    /// <summary>Takes the oldest pending subscription; false when empty (or an enqueue is half done). Event loop only.</summary>
    public bool TryDequeue(out T node)
    {
        var tail = _tail;
        var next = Volatile.Read(ref tail.Next);
        if (tail == _stub)
        {
            if (next is null)
            {
                node = null!;
                return false;
            }

            _tail = next;
            tail = next;
            next = Volatile.Read(ref next.Next);
        }

        if (next is not null)
        {
            _tail = next;
            node = tail;
            return true;
        }

        if (tail != Volatile.Read(ref _head))
        {
            // A producer swapped the head but has not linked it yet: come back on the next drain.
            node = null!;
            return false;
        }

        // The tail is the last real node: put the stub behind it so it can be handed out.
        Enqueue(_stub);
        next = Volatile.Read(ref tail.Next);
        if (next is not null)
        {
            _tail = next;
            node = tail;
            return true;
        }

        node = null!;
        return false;
    }
}
