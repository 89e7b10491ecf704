using Radiant.Errors;

namespace Radiant.Postgres.Registry;

/// <summary>The rule for a model id given by a caller (a route value, a filter), before it reaches a query.</summary>
internal static class ModelIds
{
    /// <summary>The longest model id (the <c>models.id</c> column).</summary>
    public const int MaxLength = 100;

    /// <summary>Throws <see cref="RadiantValidationException"/> for a blank, overlong or unstorable id.</summary>
    public static void Check(string? modelId, string field = "modelId")
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            throw new RadiantValidationException(field, $"'{field}' is required.");
        }

        if (modelId.Length > MaxLength || TextRules.FirstUnstorable(modelId) is not null)
        {
            throw new RadiantValidationException(field, $"'{field}' must be a model id of at most {MaxLength} characters; '{(modelId.Length > 40 ? modelId[..40] + "…" : modelId)}' is not.");
        }
    }
}
