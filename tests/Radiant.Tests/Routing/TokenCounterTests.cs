using System.Text;
using Microsoft.ML.Tokenizers;
using Radiant.Postgres.Routing;
using Radiant.Routing;

namespace Radiant.Tests.Routing;

/// <summary>Exact counts for OpenAI's model families from the vocabularies shipped in NuGet; the documented estimate for the rest.</summary>
public sealed class TokenCounterTests
{
    private const string Prose = "The auto router picks a model for every message sent without one, and says why.";
    private const string Code = "var total = items.Where(i => i.IsEnabled).Sum(i => i.Price * 1.40m); // 40 % markup";

    private static readonly TiktokenTokenCounter Counter = new();

    [Theory]
    [InlineData("gpt-4o", "o200k_base")]
    [InlineData("gpt-4o-mini", "o200k_base")]
    [InlineData("gpt-4o-realtime", "o200k_base")]
    [InlineData("GPT-4.1-nano", "o200k_base")]
    [InlineData("o1", "o200k_base")]
    [InlineData("o1-pro", "o200k_base")]
    [InlineData("o3-mini", "o200k_base")]
    [InlineData("openai/gpt-5", "o200k_base")]
    [InlineData("gpt-4", "cl100k_base")]
    [InlineData("gpt-4-turbo", "cl100k_base")]
    [InlineData("gpt-3.5-turbo", "cl100k_base")]
    [InlineData("text-embedding-3-small", "cl100k_base")]
    [InlineData("claude-4-sonnet", null)]
    [InlineData("gemini-2.0-flash", null)]
    [InlineData("o100", null)]
    [InlineData("gpt-40", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Model_ids_map_to_their_encoding(string? modelId, string? encoding)
    {
        Assert.Equal(encoding, TiktokenTokenCounter.EncodingOf(modelId));
        Assert.Equal(encoding is not null, Counter.IsExact(modelId));
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4")]
    [InlineData("o1")]
    public void A_covered_model_is_counted_exactly_with_its_own_tokenizer(string modelId)
    {
        var reference = TiktokenTokenizer.CreateForModel(modelId);
        foreach (var text in new[] { Prose, Code, "日本語のテキストも数えます。", "" })
        {
            var count = Counter.Count(modelId, text);

            Assert.True(count.IsExact);
            Assert.Equal(reference.CountTokens(text), count.Tokens);
        }
    }

    [Fact]
    public void The_two_vocabularies_count_differently()
    {
        var text = string.Concat(Enumerable.Repeat("Grüße aus Köln — ", 20));

        Assert.NotEqual(Counter.Count("gpt-4o", text).Tokens, Counter.Count("gpt-4", text).Tokens);
    }

    [Theory]
    [InlineData("claude-4-sonnet")]
    [InlineData(null)]
    public void Other_models_get_the_documented_estimate_one_token_per_three_utf8_bytes_rounded_up(string? modelId)
    {
        foreach (var text in new[] { Prose, Code, "日本語", "ab", "" })
        {
            var count = Counter.Count(modelId, text);

            Assert.False(count.IsExact);
            Assert.Equal((Encoding.UTF8.GetByteCount(text) + 2) / 3, count.Tokens);
        }

        Assert.Equal(3, Counter.Count(modelId, "日本語").Tokens); // 9 bytes
        Assert.Equal(1, Counter.Count(modelId, "ab").Tokens);
    }

    [Fact]
    public void The_estimate_errs_high_for_prose_and_stays_within_a_quarter_below_for_dense_code()
    {
        Assert.True(TokenEstimate.Count(Prose) > Counter.Count("gpt-4o", Prose).Tokens);
        Assert.True(TokenEstimate.Count(Code) >= 0.75 * Counter.Count("gpt-4o", Code).Tokens);
    }

    [Fact]
    public void A_prompt_adds_the_per_message_overhead_and_the_reply_priming()
    {
        string[] messages = ["You are a helpful assistant.", Prose, Code];

        var exact = Counter.CountPrompt("gpt-4o", messages);
        var estimate = Counter.CountPrompt("mistral-large-2", messages);

        Assert.Equal(new TokenCount(messages.Sum(m => Counter.Count("gpt-4o", m).Tokens) + 3 * TokenEstimate.PerMessageOverhead + TokenEstimate.ReplyPriming, true), exact);
        Assert.Equal(new TokenCount(messages.Sum(m => TokenEstimate.Count(m)) + 3 * 3 + 3, false), estimate);
        Assert.Equal(TokenEstimate.CountPrompt(messages), estimate.Tokens);
        Assert.Equal(new TokenCount(TokenEstimate.ReplyPriming, true), Counter.CountPrompt("gpt-4o", []));
    }

    [Fact]
    public async Task Counting_is_thread_safe()
    {
        var expected = Counter.Count("gpt-4o", Code).Tokens;

        var counts = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => Counter.Count(i % 2 == 0 ? "gpt-4o" : "GPT-4O", Code).Tokens, TestContext.Current.CancellationToken)));

        Assert.All(counts, c => Assert.Equal(expected, c));
    }
}
