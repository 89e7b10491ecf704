using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Radiant.Pricing;

/// <summary>
/// Model id → index, for the quote path. Open addressing (linear probing, at most half full) keyed by a cheap hash of
/// the id's length and three 8-byte windows (start, middle, end), so the cost does not grow with the id's length; a hit
/// is confirmed by the stored 32-bit hash and an ordinal compare. The hash is not randomized: the ids come from the
/// catalogue, not from callers, and a collision only costs a compare.
/// </summary>
internal sealed class ModelIdIndex
{
    private readonly string[] _ids;
    private readonly Slot[] _slots;

    public ModelIdIndex(string[] ids)
    {
        _ids = ids;
        _slots = new Slot[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(ids.Length * 2, 2))];
        var mask = _slots.Length - 1;
        for (var m = 0; m < ids.Length; m++)
        {
            var hash = Hash(ids[m]);
            var i = (int)hash & mask;
            while (_slots[i].IndexPlusOne != 0)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = new Slot(hash, m + 1);
        }
    }

    public int Count => _ids.Length;

    public string this[int index] => _ids[index];

    /// <summary>The model's index, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(string id)
    {
        var hash = Hash(id);
        var slots = _slots;
        var mask = slots.Length - 1;
        for (var i = (int)hash & mask; ; i = (i + 1) & mask)
        {
            var slot = slots[i];
            if (slot.IndexPlusOne == 0)
            {
                return -1;
            }

            if (slot.Hash == hash && string.Equals(_ids[slot.IndexPlusOne - 1], id, StringComparison.Ordinal))
            {
                return slot.IndexPlusOne - 1;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(string id)
    {
        var length = id.Length;
        ref var bytes = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(id.AsSpan()));
        ulong h;
        if (length >= 4)
        {
            // Three independent multiplies (they overlap in the pipeline), then one fold.
            h = (Unsafe.ReadUnaligned<ulong>(ref bytes) * 0x9E3779B97F4A7C15)
                ^ (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, ((length >> 1) - 2) * 2)) * 0xC2B2AE3D27D4EB4F)
                ^ (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, (length - 4) * 2)) * 0x165667B19E3779F9)
                ^ (ulong)length;
        }
        else
        {
            h = (ulong)length;
            for (var i = 0; i < length; i++)
            {
                h = (h << 16) | id[i];
            }

            h *= 0x9E3779B97F4A7C15;
        }

        return (uint)((h ^ (h >> 29)) * 0xBF58476D1CE4E5B9 >> 32);
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Slot(uint Hash, int IndexPlusOne);
}
