using System.Text;

namespace Radiant.Routing;

/// <summary>
/// Counts a prompt's tokens before it is sent, for <see cref="RoutingRequest.InputTokens"/> and pre-send estimates.
/// Exact for the models whose tokenizer ships with Radiant (OpenAI's model families, from Microsoft.ML.Tokenizers and
/// its vocabulary packages: nothing is downloaded at run time); <see cref="TokenEstimate"/> for the others. Thread-safe.
/// </summary>
public interface ITokenCounter
{
    /// <summary>True when the model's tokens are counted exactly (its tokenizer ships with Radiant).</summary>
    bool IsExact(string? modelId);

    /// <summary>Tokens of a text for the model, or the estimate when the model is null or has no tokenizer here.</summary>
    TokenCount Count(string? modelId, ReadOnlySpan<char> text);

    /// <summary>
    /// Tokens of a chat prompt: each message's content plus <see cref="TokenEstimate.PerMessageOverhead"/>, plus
    /// <see cref="TokenEstimate.ReplyPriming"/> for the reply (OpenAI's accounting for chat models; the estimate uses
    /// the same overheads).
    /// </summary>
    TokenCount CountPrompt(string? modelId, IEnumerable<string> messages);
}

/// <summary>A token count.</summary>
/// <param name="Tokens">The number of tokens.</param>
/// <param name="IsExact">True when counted with the model's own tokenizer, false for <see cref="TokenEstimate"/>.</param>
public readonly record struct TokenCount(int Tokens, bool IsExact);

/// <summary>
/// The documented estimate for models without a tokenizer here: <b>one token per 3 UTF-8 bytes, rounded up</b>, plus
/// the chat overheads. It errs high on purpose, so a prompt it lets through fits: measured against OpenAI's o200k
/// tokenizer, English prose and C# or SQL source run at 4.1–4.5 bytes per token (the estimate is 35–50 % above),
/// CJK text at about 3.3 (10 % above), repetitive JSON or code at 2.2–3 (the estimate is up to 25 % below); other
/// vendors' tokenizers (Anthropic, Mistral, Llama) split text more finely than o200k.
/// </summary>
public static class TokenEstimate
{
    /// <summary>UTF-8 bytes per estimated token.</summary>
    public const int BytesPerToken = 3;

    /// <summary>Tokens each chat message adds besides its content (role and separators).</summary>
    public const int PerMessageOverhead = 3;

    /// <summary>Tokens that prime the reply, once per prompt.</summary>
    public const int ReplyPriming = 3;

    /// <summary>The estimated tokens of a text: its UTF-8 bytes divided by <see cref="BytesPerToken"/>, rounded up.</summary>
    public static int Count(ReadOnlySpan<char> text)
    {
        var bytes = (long)Encoding.UTF8.GetByteCount(text);
        return (int)Math.Min(int.MaxValue, (bytes + BytesPerToken - 1) / BytesPerToken);
    }

    /// <summary>The estimated tokens of a chat prompt (contents, per-message overhead and reply priming).</summary>
    public static int CountPrompt(IEnumerable<string> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var total = (long)ReplyPriming;
        foreach (var message in messages)
        {
            total += PerMessageOverhead + Count(message);
        }

        return (int)Math.Min(int.MaxValue, total);
    }
}
