using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Radiant.Pricing;

/// <summary>
/// Tenant id → pricing state, for the quote path: open addressing (linear probing, at most half full) on a
/// multiply-shift of the id's two halves — ids are random or time-ordered UUIDs whose lower half is random, so no
/// randomized hash is needed. Immutable; <see cref="With"/> copies the slots (a flat array)
/// and changes the tenants it is given.
/// </summary>
internal sealed class TenantTable
{
    private readonly Slot[] _slots;

    private TenantTable(Slot[] slots, int count)
    {
        _slots = slots;
        Count = count;
    }

    public static TenantTable Empty { get; } = new(new Slot[2], 0);

    public int Count { get; }

    public static TenantTable Create(IReadOnlyCollection<(Guid Id, PricingSnapshot.TenantState State)> tenants)
    {
        var slots = new Slot[Capacity(tenants.Count)];
        foreach (var (id, state) in tenants)
        {
            Insert(slots, id, state);
        }

        return new TenantTable(slots, tenants.Count);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PricingSnapshot.TenantState? Find(Guid id)
    {
        // The slot count is a power of two and every index is masked, so the reads need no bounds checks.
        var slots = _slots;
        var mask = slots.Length - 1;
        ref var first = ref MemoryMarshal.GetArrayDataReference(slots);
        for (var i = Home(id, mask); ; i = (i + 1) & mask)
        {
            ref readonly var slot = ref Unsafe.Add(ref first, (uint)i);
            if (slot.State is null || slot.Id == id)
            {
                return slot.State;
            }
        }
    }

    /// <summary>A copy with several tenants' states replaced, added, or removed (null), in one copy of the slots; a later entry for an id wins.</summary>
    public TenantTable With(IReadOnlyCollection<(Guid Id, PricingSnapshot.TenantState? State)> changes)
    {
        var last = new Dictionary<Guid, PricingSnapshot.TenantState?>(changes.Count);
        foreach (var (id, state) in changes)
        {
            last[id] = state;
        }

        var count = Count;
        foreach (var (id, state) in last)
        {
            var exists = Find(id) is not null;
            count += state is null ? (exists ? -1 : 0) : (exists ? 0 : 1);
        }

        Slot[] slots;
        if (CapacityFor(count) != _slots.Length)
        {
            slots = new Slot[CapacityFor(count)];
            foreach (var slot in _slots)
            {
                if (slot.State is not null && !last.ContainsKey(slot.Id))
                {
                    Insert(slots, slot.Id, slot.State);
                }
            }
        }
        else
        {
            slots = (Slot[])_slots.Clone();
            foreach (var id in last.Keys)
            {
                if (Find(id) is not null)
                {
                    Remove(slots, id);
                }
            }
        }

        foreach (var (id, state) in last)
        {
            if (state is not null)
            {
                Insert(slots, id, state);
            }
        }

        return new TenantTable(slots, count);
    }

    // Keeps its size while between an eighth and half full, so adding and removing one tenant never thrashes.
    private int CapacityFor(int count) => count * 2 <= _slots.Length && count * 8 >= _slots.Length ? _slots.Length : Capacity(count);

    private static int Capacity(int count) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(count * 2, 2));

    private static int Home(Guid id, int mask)
    {
        ref var bytes = ref Unsafe.As<Guid, byte>(ref id);
        var h = (Unsafe.ReadUnaligned<ulong>(ref bytes) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, 8))) * 0x9E3779B97F4A7C15;
        return (int)(h >> 32) & mask;
    }

    private static void Insert(Slot[] slots, Guid id, PricingSnapshot.TenantState state)
    {
        var mask = slots.Length - 1;
        var i = Home(id, mask);
        while (slots[i].State is not null && slots[i].Id != id)
        {
            i = (i + 1) & mask;
        }

        slots[i] = new Slot(id, state);
    }

    // Backward-shift deletion: no tombstones, so lookups stay as short as after a fresh build.
    private static void Remove(Slot[] slots, Guid id)
    {
        var mask = slots.Length - 1;
        var i = Home(id, mask);
        while (slots[i].Id != id)
        {
            i = (i + 1) & mask;
        }

        var j = i;
        while (true)
        {
            slots[i] = default;
            while (true)
            {
                j = (j + 1) & mask;
                if (slots[j].State is null)
                {
                    return;
                }

                var home = Home(slots[j].Id, mask);
                var stays = i <= j ? i < home && home <= j : i < home || home <= j;
                if (!stays)
                {
                    break;
                }
            }

            slots[i] = slots[j];
            i = j;
        }
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Slot(Guid Id, PricingSnapshot.TenantState? State);
}
