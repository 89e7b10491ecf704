using System.Text;
using Radiant.Pricing;

namespace Radiant.Tests.Pricing;

/// <summary>
/// A snapshot finds a model by its id ordinally and exactly, whatever the id's length: the lookup hashes three windows
/// of the id and compares it in overlapping vector windows whose placement depends on the length, so every length from
/// 1 to past the longest inlined compare is tried, with an id that differs from a priced one in a single character at
/// each position.
/// </summary>
public sealed class ModelIdLookupTests
{
    private const int LongestLength = 150;
    private static readonly Guid Tenant = Guid.CreateVersion7();
    private static readonly DateTimeOffset At = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    // Ids of every length; each one's price tells which it is.
    private static readonly string[] Ids = Enumerable.Range(1, LongestLength).Select(Id).ToArray();

    private static readonly PricingSnapshot Snapshot = Build();

    [Fact]
    public void Every_priced_id_is_found_as_itself_from_a_fresh_string_and_from_the_same_string()
    {
        for (var length = 1; length <= LongestLength; length++)
        {
            foreach (var id in new[] { new string(Ids[length - 1].AsSpan()), Ids[length - 1] })
            {
                Assert.True(Snapshot.TryQuote(Tenant, id, 1_000_000, 0, At, out var quote), $"length {length}");
                Assert.Equal((decimal)length, quote.UserInputPricePer1M);
            }
        }
    }

    [Fact]
    public void An_id_one_character_off_anywhere_is_not_priced()
    {
        for (var length = 1; length <= LongestLength; length++)
        {
            var id = Ids[length - 1];
            for (var position = 0; position < length; position++)
            {
                var chars = id.ToCharArray();
                chars[position] = chars[position] == 'q' ? 'r' : 'q';
                Assert.False(Snapshot.TryQuote(Tenant, new string(chars), 1, 1, At, out _), $"length {length}, position {position}");
            }
        }
    }

    [Fact]
    public void A_prefix_an_extension_or_a_different_case_of_a_priced_id_is_not_priced()
    {
        foreach (var id in Ids)
        {
            Assert.False(Snapshot.TryQuote(Tenant, id + "x", 1, 1, At, out _), id);
            Assert.False(Snapshot.TryQuote(Tenant, id[..^1], 1, 1, At, out _), id);
            if (id.Any(char.IsLetter))
            {
                Assert.False(Snapshot.TryQuote(Tenant, id.ToUpperInvariant(), 1, 1, At, out _), id);
            }
        }

        Assert.False(Snapshot.TryQuote(Tenant, string.Empty, 1, 1, At, out _));
    }

    [Fact]
    public void Ids_beyond_the_basic_multilingual_plane_are_compared_by_their_utf16_units()
    {
        var snapshot = new PricingSnapshotBuilder()
            .AddModel("provider/模型-🚀-" + new string('é', 20), 1m, 1m)
            .AddTenant(Tenant)
            .Build();

        Assert.True(snapshot.TryQuote(Tenant, "provider/模型-🚀-" + new string('é', 20), 1, 1, At, out _));
        Assert.False(snapshot.TryQuote(Tenant, "provider/模型-🚁-" + new string('é', 20), 1, 1, At, out _));
        Assert.False(snapshot.TryQuote(Tenant, "provider/模型-🚀-" + new string('e', 20), 1, 1, At, out _));
    }

    // The length's digits, then letters: one id per length, and no id is another's prefix or extension by a letter.
    private static string Id(int length)
    {
        var id = new StringBuilder(length).Append(length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (var i = id.Length; i < length; i++)
        {
            id.Append((char)('a' + ((i * 7) % 26)));
        }

        return id.ToString();
    }

    private static PricingSnapshot Build()
    {
        var builder = new PricingSnapshotBuilder();
        for (var length = 1; length <= LongestLength; length++)
        {
            builder.AddModel(Ids[length - 1], length, 0m);
        }

        return builder.AddTenant(Tenant, new TenantPricingConfig { ExternalDefaultMarkup = 0m, MinimumChargePerRequest = 0m }).Build();
    }
}
