using System.Globalization;
using System.Text;
using Radiant.Scheduling;

namespace Radiant.Tests.Scheduling;

/// <summary>Receivers call <see cref="WebhookSignature.Verify"/> on headers anyone can send: it answers, never throws.</summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_test";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"event":"scheduled_prompt.run.completed"}""");
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Fact]
    public void A_header_signed_now_with_the_secret_verifies()
    {
        var header = WebhookSignature.Sign(Secret, Now, Body);

        Assert.True(WebhookSignature.Verify(Secret, header, Body, Now, Tolerance));
        Assert.True(WebhookSignature.Verify(Secret, header.ToUpperInvariant().Replace("T=", "t=", StringComparison.Ordinal).Replace("V1=", "v1=", StringComparison.Ordinal), Body, Now, Tolerance));
        Assert.False(WebhookSignature.Verify(Secret, header, Body, Now.AddMinutes(6), Tolerance));
    }

    [Theory]
    [InlineData("t=999999999999,v1=00")]
    [InlineData("t=253402300800,v1=00")]
    [InlineData("t=9223372036854775807,v1=00")]
    [InlineData("t=99999999999999999999999999,v1=00")]
    [InlineData("t=-1,v1=00")]
    [InlineData("t=-9223372036854775808,v1=00")]
    [InlineData("t=+1772366400,v1=00")]
    [InlineData("t= 1772366400,v1=00")]
    [InlineData("t=1e9,v1=00")]
    [InlineData("t=0x10,v1=00")]
    [InlineData("t=1772366400.5,v1=00")]
    [InlineData("t=,v1=")]
    [InlineData("t=,v1=00")]
    [InlineData("t=1772366400,v1=")]
    [InlineData("t=1772366400")]
    [InlineData("v1=00")]
    [InlineData("t=1772366400,v1=not-hex-at-all")]
    [InlineData("t=1772366400,v1=é漢字")]
    [InlineData("t=1772366400,v1=\0\0")]
    [InlineData(",,,")]
    [InlineData("=")]
    [InlineData("t")]
    [InlineData("garbage")]
    [InlineData(" ")]
    [InlineData("")]
    [InlineData(null)]
    public void A_malformed_or_out_of_range_header_is_false_not_an_exception(string? header)
    {
        Assert.False(WebhookSignature.Verify(Secret, header, Body, Now, Tolerance));
        Assert.False(WebhookSignature.Verify(Secret, header, Body, DateTimeOffset.MaxValue, TimeSpan.MaxValue));
        Assert.False(WebhookSignature.Verify(Secret, header, Body, DateTimeOffset.MinValue, TimeSpan.MaxValue));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(253402300799L)]
    public void A_timestamp_at_either_end_of_the_range_is_judged_by_the_tolerance_without_throwing(long seconds)
    {
        var t = seconds.ToString(CultureInfo.InvariantCulture);
        var header = WebhookSignature.Sign(Secret, DateTimeOffset.FromUnixTimeSeconds(seconds), Body);
        Assert.StartsWith($"t={t},", header, StringComparison.Ordinal);

        Assert.False(WebhookSignature.Verify(Secret, header, Body, Now, Tolerance));
        Assert.True(WebhookSignature.Verify(Secret, header, Body, Now, TimeSpan.MaxValue));
        Assert.True(WebhookSignature.Verify(Secret, header, Body, DateTimeOffset.FromUnixTimeSeconds(seconds), Tolerance));
    }

    [Fact]
    public void A_long_run_of_parts_and_a_very_long_header_are_false()
    {
        var many = string.Join(',', Enumerable.Repeat("t=,v1=,", 10_000));
        var huge = "t=" + new string('9', 100_000) + ",v1=" + new string('a', 100_000);

        Assert.False(WebhookSignature.Verify(Secret, many, Body, Now, Tolerance));
        Assert.False(WebhookSignature.Verify(Secret, huge, Body, Now, Tolerance));
    }
}
