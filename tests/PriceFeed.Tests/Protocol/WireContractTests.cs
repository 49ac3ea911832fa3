using Google.Protobuf.Reflection;
using PriceFeed.Protocol.V1;

namespace PriceFeed.Tests.Protocol;

/// <summary>
/// Pins the generated descriptors to the public contract (docs/protocol.md, "Messages"):
/// clients outside this repository decode these numbers and types, so an edit to
/// pricefeed.v1.proto that changes one must fail here.
/// </summary>
public sealed class WireContractTests
{
    // message -> field -> (number, type, repeated); the contract's schema, written out once.
    private static readonly Dictionary<string, (string Field, int Number, FieldType Type, bool Repeated)[]> s_contract = new()
    {
        ["Quote"] =
        [
            ("symbol", 1, FieldType.String, false),
            ("seq", 2, FieldType.UInt64, false),
            ("source_time_ns", 3, FieldType.Int64, false),
            ("publish_time_ns", 4, FieldType.Int64, false),
            ("bid", 5, FieldType.Double, false),
            ("ask", 6, FieldType.Double, false),
            ("bid_size", 7, FieldType.Double, false),
            ("ask_size", 8, FieldType.Double, false),
            ("last", 9, FieldType.Double, false),
            ("last_size", 10, FieldType.Double, false),
            ("volume", 11, FieldType.UInt64, false),
        ],
        ["Subscribe"] =
        [
            ("request_id", 1, FieldType.UInt64, false),
            ("symbols", 2, FieldType.String, true),
            ("throttle_ms", 3, FieldType.UInt32, false),
            ("skip_snapshot", 4, FieldType.Bool, false),
            ("resume", 5, FieldType.Message, true),
            ("epoch", 6, FieldType.String, false),
        ],
        ["Unsubscribe"] = [("request_id", 1, FieldType.UInt64, false), ("symbols", 2, FieldType.String, true)],
        ["Ping"] = [("client_time_ns", 1, FieldType.Int64, false)],
        ["Auth"] = [("token", 1, FieldType.String, false)],
        ["ClientMessage"] =
        [
            ("subscribe", 1, FieldType.Message, false),
            ("unsubscribe", 2, FieldType.Message, false),
            ("ping", 3, FieldType.Message, false),
            ("auth", 4, FieldType.Message, false),
            ("subscribe_bars", 5, FieldType.Message, false),
            ("unsubscribe_bars", 6, FieldType.Message, false),
        ],
        ["SubscribeBars"] =
        [
            ("request_id", 1, FieldType.UInt64, false),
            ("symbols", 2, FieldType.String, true),
            ("interval_s", 3, FieldType.UInt32, false),
            ("history", 4, FieldType.UInt32, false),
        ],
        ["UnsubscribeBars"] =
        [
            ("request_id", 1, FieldType.UInt64, false),
            ("symbols", 2, FieldType.String, true),
            ("interval_s", 3, FieldType.UInt32, false),
        ],
        ["Hello"] =
        [
            ("server_id", 1, FieldType.String, false),
            ("protocol", 2, FieldType.String, false),
            ("heartbeat_interval_ms", 3, FieldType.UInt32, false),
            ("max_symbols_per_client", 4, FieldType.UInt32, false),
            ("slow_consumer_policy", 5, FieldType.String, false),
            ("epoch", 6, FieldType.String, false),
            ("resume_depth", 7, FieldType.UInt32, false),
        ],
        ["Rejection"] = [("symbol", 1, FieldType.String, false), ("reason", 2, FieldType.String, false)],
        ["SubscribeResult"] =
        [
            ("request_id", 1, FieldType.UInt64, false),
            ("accepted", 2, FieldType.String, true),
            ("rejected", 3, FieldType.Message, true),
            ("recovered", 4, FieldType.String, true),
        ],
        ["QuoteBatch"] = [("quotes", 1, FieldType.Message, true), ("send_time_ns", 2, FieldType.Int64, false)],
        ["Pong"] = [("client_time_ns", 1, FieldType.Int64, false), ("server_time_ns", 2, FieldType.Int64, false)],
        ["Error"] = [("code", 1, FieldType.UInt32, false), ("message", 2, FieldType.String, false)],
        ["AuthResult"] = [("expires_at_ns", 1, FieldType.Int64, false)],
        ["Bar"] =
        [
            ("symbol", 1, FieldType.String, false),
            ("interval_s", 2, FieldType.UInt32, false),
            ("start_ns", 3, FieldType.Int64, false),
            ("open", 4, FieldType.Double, false),
            ("high", 5, FieldType.Double, false),
            ("low", 6, FieldType.Double, false),
            ("close", 7, FieldType.Double, false),
            ("volume", 8, FieldType.UInt64, false),
            ("trades", 9, FieldType.UInt32, false),
            ("closed", 10, FieldType.Bool, false),
        ],
        ["BarBatch"] = [("bars", 1, FieldType.Message, true)],
        ["ServerMessage"] =
        [
            ("hello", 1, FieldType.Message, false),
            ("subscribe_result", 2, FieldType.Message, false),
            ("snapshot", 3, FieldType.Message, false),
            ("quotes", 4, FieldType.Message, false),
            ("pong", 5, FieldType.Message, false),
            ("error", 6, FieldType.Message, false),
            ("auth_result", 10, FieldType.Message, false),
            ("bars", 11, FieldType.Message, false),
        ],
    };

    public static TheoryData<string> ContractMessages => new(s_contract.Keys);

    [Fact]
    public void PackageIsPricefeedV1()
    {
        Assert.Equal("pricefeed.v1", PricefeedV1Reflection.Descriptor.Package);
        Assert.Equal("pricefeed.v1.proto", PricefeedV1Reflection.Descriptor.Name);
    }

    [Theory]
    [MemberData(nameof(ContractMessages))]
    public void MessageHasEveryContractFieldWithItsNumberAndType(string message)
    {
        var descriptor = PricefeedV1Reflection.Descriptor.FindTypeByName<MessageDescriptor>(message);
        Assert.NotNull(descriptor);
        foreach (var (field, number, type, repeated) in s_contract[message])
        {
            var actual = descriptor.FindFieldByName(field);
            Assert.True(actual is not null, $"{message}.{field} is missing");
            Assert.Equal(number, actual.FieldNumber);
            Assert.Equal(type, actual.FieldType);
            Assert.Equal(repeated, actual.IsRepeated);
        }
    }

    [Fact]
    public void ResumeIsAMapFromSymbolToSeq()
    {
        // docs/protocol.md, "Resume": map<string, uint64> resume = 5.
        var resume = Subscribe.Descriptor.FindFieldByName("resume");
        Assert.True(resume.IsMap);
        Assert.Equal(FieldType.String, resume.MessageType.FindFieldByNumber(1).FieldType);
        Assert.Equal(FieldType.UInt64, resume.MessageType.FindFieldByNumber(2).FieldType);
    }

    [Fact]
    public void OneofsHoldTheContractBodies()
    {
        string[] Body(MessageDescriptor d) => d.Oneofs.Single(o => o.Name == "body").Fields.Select(f => f.Name).Order().ToArray();

        Assert.Equal(new[] { "auth", "ping", "subscribe", "subscribe_bars", "unsubscribe", "unsubscribe_bars" }, Body(ClientMessage.Descriptor));
        Assert.Equal(
            new[] { "auth_result", "bars", "error", "go_away", "hello", "pong", "quotes", "slow_consumer", "snapshot", "status", "subscribe_result" },
            Body(ServerMessage.Descriptor));
    }

    [Fact]
    public void MessageFieldsPointAtTheContractTypes()
    {
        Assert.Equal(Quote.Descriptor, QuoteBatch.Descriptor.FindFieldByName("quotes").MessageType);
        Assert.Equal(Rejection.Descriptor, SubscribeResult.Descriptor.FindFieldByName("rejected").MessageType);
        Assert.Equal(QuoteBatch.Descriptor, ServerMessage.Descriptor.FindFieldByName("snapshot").MessageType);
        Assert.Equal(QuoteBatch.Descriptor, ServerMessage.Descriptor.FindFieldByName("quotes").MessageType);
        Assert.Equal(Subscribe.Descriptor, ClientMessage.Descriptor.FindFieldByName("subscribe").MessageType);
        Assert.Equal(Auth.Descriptor, ClientMessage.Descriptor.FindFieldByName("auth").MessageType);
        Assert.Equal(AuthResult.Descriptor, ServerMessage.Descriptor.FindFieldByName("auth_result").MessageType);
        Assert.Equal(FeedStatus.Descriptor, ServerMessage.Descriptor.FindFieldByName("status").MessageType);
        Assert.Equal(SlowConsumer.Descriptor, ServerMessage.Descriptor.FindFieldByName("slow_consumer").MessageType);
        Assert.Equal(GoAway.Descriptor, ServerMessage.Descriptor.FindFieldByName("go_away").MessageType);
        Assert.Equal(SubscribeBars.Descriptor, ClientMessage.Descriptor.FindFieldByName("subscribe_bars").MessageType);
        Assert.Equal(UnsubscribeBars.Descriptor, ClientMessage.Descriptor.FindFieldByName("unsubscribe_bars").MessageType);
        Assert.Equal(BarBatch.Descriptor, ServerMessage.Descriptor.FindFieldByName("bars").MessageType);
        Assert.Equal(Bar.Descriptor, BarBatch.Descriptor.FindFieldByName("bars").MessageType);
    }
}
