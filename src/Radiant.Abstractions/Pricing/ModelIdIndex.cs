using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Radiant.Pricing;

/// <summary>
/// Model id → index, for the quote path. Open addressing (linear probing, at most half full) keyed by a cheap hash of
/// the id's length and three 8-byte windows (start, middle, end), so the cost does not grow with the id's length; a hit
/// is confirmed by 32 stored bits of the hash and an ordinal compare. The hash is not randomized: the ids come from the
/// catalogue, not from callers, and a collision only costs a compare.
/// </summary>
internal sealed class ModelIdIndex
{
    private readonly string[] _ids;
    private readonly Slot[] _slots;

    // A slot's index is the hash's top bits: the multiplies mix every input bit upwards, so no finalizer is needed.
    private readonly int _shift;

    public ModelIdIndex(string[] ids)
    {
        _ids = ids;
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(ids.Length * 2, 2))];
        _shift = 64 - BitOperations.Log2((uint)_slots.Length);
        var mask = _slots.Length - 1;
        for (var m = 0; m < ids.Length; m++)
        {
            var hash = Hash(ids[m]);
            var i = (int)(hash >> _shift);
            while (_slots[i].Id is not null)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = new Slot(ids[m], Check(hash), m);
        }
    }

    public int Count => _ids.Length;

    public string this[int index] => _ids[index];

    /// <summary>The model's index, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(string id)
    {
        var hash = Hash(id);
        var check = Check(hash);
        // The slot count is a power of two, the first index is the hash's top bits and the next ones are masked, so
        // the reads need no bounds checks.
        var slots = _slots;
        var mask = slots.Length - 1;
        ref var first = ref MemoryMarshal.GetArrayDataReference(slots);
        for (var i = (int)(hash >> _shift); ; i = (i + 1) & mask)
        {
            ref readonly var slot = ref Unsafe.Add(ref first, (uint)i);
            if (slot.Id is null)
            {
                return -1;
            }

            if (slot.Check == check && SameChars(slot.Id, id))
            {
                return slot.Index;
            }
        }
    }

    /// <summary>
    /// Ordinal equality, inlined for every length with overlapping windows of 2 to 32 bytes (no call, so the quote
    /// path that inlines it keeps its values in registers); a machine without 256-bit vectors takes the ordinal
    /// <see cref="string.Equals(string, string, StringComparison)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameChars(string stored, string id)
    {
        // The catalogue's own string (a host passing the registry's id) needs no read of either.
        if (ReferenceEquals(stored, id))
        {
            return true;
        }

        var length = id.Length;
        if (stored.Length != length)
        {
            return false;
        }

        if (!Vector256.IsHardwareAccelerated)
        {
            return string.Equals(stored, id, StringComparison.Ordinal);
        }

        ref var a = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(stored.AsSpan()));
        ref var b = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(id.AsSpan()));
        var bytes = (nuint)length * sizeof(char);
        if (bytes >= 32)
        {
            // Two windows cover 16-32 characters, four cover up to 64; a longer id compares the middle too.
            var same = Vector256.Equals(Vector256.LoadUnsafe(ref a), Vector256.LoadUnsafe(ref b))
                & Vector256.Equals(Vector256.LoadUnsafe(ref a, bytes - 32), Vector256.LoadUnsafe(ref b, bytes - 32));
            if (bytes > 64)
            {
                same &= Vector256.Equals(Vector256.LoadUnsafe(ref a, 32), Vector256.LoadUnsafe(ref b, 32))
                    & Vector256.Equals(Vector256.LoadUnsafe(ref a, bytes - 64), Vector256.LoadUnsafe(ref b, bytes - 64));
                for (nuint i = 64; i < bytes - 64; i += 32)
                {
                    same &= Vector256.Equals(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i));
                }
            }

            return same == Vector256<byte>.AllBitsSet;
        }

        if (bytes >= 16)
        {
            return Vector128.LoadUnsafe(ref a) == Vector128.LoadUnsafe(ref b)
                && Vector128.LoadUnsafe(ref a, bytes - 16) == Vector128.LoadUnsafe(ref b, bytes - 16);
        }

        if (bytes >= 8)
        {
            return Unsafe.ReadUnaligned<ulong>(ref a) == Unsafe.ReadUnaligned<ulong>(ref b)
                && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref a, bytes - 8)) == Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, bytes - 8));
        }

        if (bytes >= 4)
        {
            return Unsafe.ReadUnaligned<uint>(ref a) == Unsafe.ReadUnaligned<uint>(ref b)
                && Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref a, bytes - 4)) == Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref b, bytes - 4));
        }

        return bytes == 0 || Unsafe.ReadUnaligned<ushort>(ref a) == Unsafe.ReadUnaligned<ushort>(ref b);
    }

    // The 32 bits a slot keeps to skip most compares with other ids.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Check(ulong hash) => (uint)(hash >> 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(string id)
    {
        var length = id.Length;
        ref var bytes = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(id.AsSpan()));
        if (length >= 4)
        {
            // Three independent multiplies that overlap in the pipeline; the length joins the middle window.
            return (Unsafe.ReadUnaligned<ulong>(ref bytes) * 0x9E3779B97F4A7C15)
                ^ ((Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, ((length >> 1) - 2) * 2)) ^ (ulong)length) * 0xC2B2AE3D27D4EB4F)
                ^ (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, (length - 4) * 2)) * 0x165667B19E3779F9);
        }

        var h = (ulong)length;
        for (var i = 0; i < length; i++)
        {
            h = (h << 16) | id[i];
        }

        return h * 0x9E3779B97F4A7C15;
    }

    // The id itself, not its index in the id array: one dependent load less before the compare.
    private readonly record struct Slot(string? Id, uint Check, int Index);
}
