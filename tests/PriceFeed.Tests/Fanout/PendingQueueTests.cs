using PriceFeed.Server.Fanout;

namespace PriceFeed.Tests.Fanout;

public sealed class PendingQueueTests : IDisposable
{
    private readonly FanoutHarness _harness = new();
    private readonly ClientSession _owner;
    private readonly PendingQueue<SymbolSubscription> _queue;

    public PendingQueueTests()
    {
        _owner = _harness.Connect().Session;
        _queue = new PendingQueue<SymbolSubscription>(new SymbolSubscription(_owner, -1, 0, viaWildcard: false));
    }

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void IsEmptyWhenNew()
    {
        Assert.False(_queue.TryDequeue(out _));
        Assert.False(_queue.TryDequeue(out _));
    }

    [Fact]
    public void DequeuesInTheOrderEnqueued()
    {
        var nodes = Nodes(5);
        foreach (var node in nodes)
        {
            _queue.Enqueue(node);
        }

        Assert.Equal(nodes, DequeueAll());
        Assert.False(_queue.TryDequeue(out _));
    }

    [Fact]
    public void HandsOutTheLastNodeAndStaysUsableAfterBeingEmptied()
    {
        // The last real node can only be handed out once the stub is queued behind it; the queue
        // must then work again from that state, over and over.
        var nodes = Nodes(3);
        for (var round = 0; round < 4; round++)
        {
            foreach (var node in nodes)
            {
                _queue.Enqueue(node);
                Assert.True(_queue.TryDequeue(out var taken));
                Assert.Same(node, taken);
                Assert.False(_queue.TryDequeue(out _));
            }
        }
    }

    [Fact]
    public void TakesANodeAgainWhenItIsEnqueuedAgainAfterBeingTaken()
    {
        var (a, b, c) = (Node(0), Node(1), Node(2));

        _queue.Enqueue(a);
        _queue.Enqueue(b);
        Assert.True(_queue.TryDequeue(out var first));
        _queue.Enqueue(c);
        _queue.Enqueue(a);

        Assert.Same(a, first);
        Assert.Equal([b, c, a], DequeueAll());
        Assert.False(_queue.TryDequeue(out _));
    }

    [Fact]
    public void EveryEnqueueComesOutOnceInOrderWithTheProducerOnAnotherThread()
    {
        // The session's protocol: the fan-out thread enqueues a subscription only when it flips
        // Pending from 0 to 1; the event loop clears Pending after taking it off the queue.
        const int enqueues = 100_000;
        var nodes = Nodes(64);
        var order = new SymbolSubscription[enqueues];
        var failed = 0;
        var producer = new Thread(() =>
        {
            var produced = 0;
            var idle = default(SpinWait);
            for (var i = 0; produced < enqueues && Volatile.Read(ref failed) == 0; i++)
            {
                var node = nodes[i % nodes.Length];
                if (Volatile.Read(ref node.Pending) == 0 && Interlocked.Exchange(ref node.Pending, 1) == 0)
                {
                    // Recorded before the enqueue publishes the node, so the consumer sees the entry.
                    order[produced++] = node;
                    _queue.Enqueue(node);
                    idle.Reset();
                }
                else
                {
                    // Every node may be waiting for the consumer: on two busy cores, let it run.
                    idle.SpinOnce();
                }
            }
        });
        producer.Start();

        var consumed = 0;
        var deadline = Environment.TickCount64 + 10_000;
        try
        {
            var idle = default(SpinWait);
            while (consumed < enqueues)
            {
                if (!_queue.TryDequeue(out var node))
                {
                    // Empty, or the producer was preempted half-way through an enqueue: let it run.
                    Assert.True(Environment.TickCount64 < deadline, $"only {consumed} of {enqueues} enqueues came out");
                    idle.SpinOnce();
                    continue;
                }

                idle.Reset();

                Assert.True(ReferenceEquals(order[consumed], node), $"enqueue {consumed} came out as another node");
                Assert.Equal(1, Volatile.Read(ref node.Pending));
                consumed++;
                Volatile.Write(ref node.Pending, 0);
            }
        }
        finally
        {
            Volatile.Write(ref failed, consumed < enqueues ? 1 : 0);
            producer.Join();
        }

        Assert.False(_queue.TryDequeue(out _));
    }

    private SymbolSubscription Node(int symbolId) => new(_owner, symbolId, throttleTicks: 0, viaWildcard: false);

    private SymbolSubscription[] Nodes(int count) => [.. Enumerable.Range(0, count).Select(Node)];

    private List<SymbolSubscription> DequeueAll()
    {
        var taken = new List<SymbolSubscription>();
        while (_queue.TryDequeue(out var node))
        {
            taken.Add(node);
        }

        return taken;
    }
}
