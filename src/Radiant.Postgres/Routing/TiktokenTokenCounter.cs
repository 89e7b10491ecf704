using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;
using Radiant.Routing;

namespace Radiant.Postgres.Routing;

/// <summary>
/// The <see cref="ITokenCounter"/> of a host: OpenAI's model families are counted exactly with Microsoft.ML.Tokenizers,
/// whose vocabularies ship inside the referenced data packages (<c>o200k_base</c>, <c>cl100k_base</c>; nothing is
/// downloaded); every other model gets <see cref="TokenEstimate"/>. Each vocabulary loads once, on its first use.
/// </summary>
/// <remarks>
/// Which encoding a model id uses (case-insensitive; a <c>provider/</c> prefix is ignored): <c>o200k_base</c> for
/// <c>gpt-4o*</c>, <c>chatgpt-4o*</c>, <c>gpt-4.1*</c>, <c>gpt-4.5*</c>, <c>gpt-5*</c> and the o-series (<c>o1</c>,
/// <c>o3</c>, <c>o4</c> and their <c>-mini</c>/<c>-pro</c>/dated variants); <c>cl100k_base</c> for the other
/// <c>gpt-4*</c>, <c>gpt-3.5*</c> and <c>text-embedding-3*</c> / <c>text-embedding-ada-002</c>. OpenAI publishes no
/// tokenizer for other vendors' models, so counting them "exactly" with an OpenAI vocabulary would be a guess too.
/// </remarks>
internal sealed class TiktokenTokenCounter : ITokenCounter
{
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    // Model ids are a bounded catalogue; unknown ids cache as null (the estimate).
    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>?> _byModel = new(StringComparer.OrdinalIgnoreCase);

    public bool IsExact(string? modelId) => TokenizerFor(modelId) is not null;

    public TokenCount Count(string? modelId, ReadOnlySpan<char> text) =>
        TokenizerFor(modelId) is { } tokenizer
            ? new TokenCount(tokenizer.Value.CountTokens(text), IsExact: true)
            : new TokenCount(TokenEstimate.Count(text), IsExact: false);

    public TokenCount CountPrompt(string? modelId, IEnumerable<string> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (TokenizerFor(modelId) is not { } tokenizer)
        {
            return new TokenCount(TokenEstimate.CountPrompt(messages), IsExact: false);
        }

        var total = (long)TokenEstimate.ReplyPriming;
        foreach (var message in messages)
        {
            total += TokenEstimate.PerMessageOverhead + tokenizer.Value.CountTokens(message ?? "");
        }

        return new TokenCount((int)Math.Min(int.MaxValue, total), IsExact: true);
    }

    /// <summary>The encoding of a model id, or null for the estimate.</summary>
    internal static string? EncodingOf(string? modelId)
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return null;
        }

        var id = modelId.Trim();
        id = id[(id.LastIndexOf('/') + 1)..];
        if (Family(id, "gpt-4o") || Family(id, "chatgpt-4o") || Family(id, "gpt-4.1") || Family(id, "gpt-4.5") || Family(id, "gpt-5")
            || Family(id, "o1") || Family(id, "o3") || Family(id, "o4"))
        {
            return "o200k_base";
        }

        if (Family(id, "gpt-4") || Family(id, "gpt-3.5") || Family(id, "text-embedding-3") || id.Equals("text-embedding-ada-002", StringComparison.OrdinalIgnoreCase))
        {
            return "cl100k_base";
        }

        return null;
    }

    private Lazy<Tokenizer>? TokenizerFor(string? modelId) =>
        modelId is null ? null : _byModel.GetOrAdd(modelId, static id => EncodingOf(id) switch
        {
            "o200k_base" => O200k,
            "cl100k_base" => Cl100k,
            _ => null,
        });

    // "o1" matches o1, o1-pro, o1-2024-12-17 but not o100; "gpt-4" matches gpt-4 and gpt-4-turbo but not gpt-40.
    private static bool Family(string id, string family) =>
        id.StartsWith(family, StringComparison.OrdinalIgnoreCase)
        && (id.Length == family.Length || id[family.Length] is '-' or '.' or ':');
}
