using System.Runtime.InteropServices;

namespace PriceFeed.Server.Ring;

/// <summary>56 bytes that are never read: a 64-byte cache line less the 8-byte value it guards.</summary>
/// <remarks>A struct, because the runtime honours <see cref="StructLayoutAttribute.Size"/> for
/// value types but ignores it for classes: a padded class must declare its trailing padding as
/// a field.</remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
internal readonly struct CacheLinePadding
{
    /// <summary>The padding's size in bytes.</summary>
    public const int Size = 56;
}
