using PriceFeed.Server.Security;

namespace PriceFeed.Server.Fanout;

// The subscription set: changed by SubscriptionService on the sessions' event loops and the source's thread,
// always under SubscriptionLock. The hot path never reads it: the fan-out holds the SymbolSubscription
// objects themselves (SubscriptionRegistry).
internal sealed partial class ClientSession
{
    private readonly Dictionary<int, SymbolSubscription> _subscriptions = [];

    /// <summary>True while this session counts in <see cref="SubscriptionRegistry.JsonSessions"/>; under <see cref="SubscriptionLock"/>.</summary>
    public bool CountedAsJson { get; set; }

    /// <summary>The symbols this client may subscribe to (its token's <c>symbols</c> claim). Read under
    /// <see cref="SubscriptionLock"/>; replaced only by <see cref="SubscriptionService.ChangeEntitlements"/>, under the
    /// registry's lock and <see cref="SubscriptionLock"/>, when the client refreshes its token.</summary>
    public Entitlements Entitlements { get; set; }

    /// <summary>Guards the subscription set; held by the registry while it changes it. Never taken on the hot path.</summary>
    public object SubscriptionLock => _subscriptions;

    /// <summary>The client's subscriptions by symbol id. Read and changed only under <see cref="SubscriptionLock"/>.</summary>
    public Dictionary<int, SymbolSubscription> Subscriptions => _subscriptions;

    /// <summary>Subscriptions made by naming the symbol (what <c>max-symbols-per-client</c> bounds); under <see cref="SubscriptionLock"/>.</summary>
    public int NamedSubscriptions { get; set; }

    /// <summary>True while the client is subscribed to <c>*</c>; under <see cref="SubscriptionLock"/>.</summary>
    public bool Wildcard { get; set; }

    /// <summary>The throttle of the <c>*</c> subscription, given to symbols that appear later; under <see cref="SubscriptionLock"/>.</summary>
    public long WildcardThrottleTicks { get; set; }
}
