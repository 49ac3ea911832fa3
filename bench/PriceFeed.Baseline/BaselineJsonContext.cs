using System.Text.Json.Serialization;

namespace PriceFeed.Baseline;

/// <summary>Source-generated JSON for <c>/api/symbols</c> (the slim builder has no reflection-based serializer).</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class BaselineJsonContext : JsonSerializerContext;
