using PriceFeed.Server.Codecs.WebSockets;

namespace PriceFeed.Tests.Codecs.WebSockets;

public sealed class WebSocketMaskingTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(7, 0)]
    [InlineData(8, 0)]
    [InlineData(33, 1)]
    [InlineData(100, 2)]
    [InlineData(100, 3)]
    public void MasksEachByteWithTheKeyByteAtItsOffset(int length, int maskOffset)
    {
        var payload = ClientFrames.Payload(length);
        var masked = (byte[])payload.Clone();
        var key = BitConverter.ToUInt32(ClientFrames.MaskKey);
        if (!BitConverter.IsLittleEndian)
        {
            key = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(key);
        }

        var nextOffset = WebSocketMasking.Apply(masked, key, maskOffset);

        for (var i = 0; i < length; i++)
        {
            Assert.Equal((byte)(payload[i] ^ ClientFrames.MaskKey[(maskOffset + i) % 4]), masked[i]);
        }

        Assert.Equal((maskOffset + length) % 4, nextOffset);
    }

    [Fact]
    public void GivesTheSameResultWhenAppliedInSlices()
    {
        var whole = ClientFrames.Payload(61);
        var sliced = (byte[])whole.Clone();
        const uint Key = 0xA1B2C3D4;

        WebSocketMasking.Apply(whole, Key, 0);
        var offset = WebSocketMasking.Apply(sliced.AsSpan(0, 13), Key, 0);
        offset = WebSocketMasking.Apply(sliced.AsSpan(13, 30), Key, offset);
        WebSocketMasking.Apply(sliced.AsSpan(43), Key, offset);

        Assert.Equal(whole, sliced);
    }
}
