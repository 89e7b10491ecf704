namespace Radiant.Registry;

/// <summary>An AI provider in the catalogue.</summary>
/// <param name="Id">Stable id, for example <c>anthropic</c>; <see cref="SelfHostedId"/> marks models the platform runs itself.</param>
/// <param name="DisplayName">Name shown to admins.</param>
/// <param name="ApiBase">The provider's API host (may contain a <c>*</c> for per-account hosts).</param>
/// <param name="AuthType">How requests authenticate.</param>
public sealed record ProviderDefinition(string Id, string DisplayName, string ApiBase, ProviderAuthType AuthType)
{
    /// <summary>The provider id of self-hosted models, which take the self-hosted default markup.</summary>
    public const string SelfHostedId = "self_hosted";
}

/// <summary>How a provider authenticates requests.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ProviderAuthType>))]
public enum ProviderAuthType
{
    /// <summary>An API key.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("api_key")]
    ApiKey,

    /// <summary>AWS IAM credentials.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("iam")]
    Iam,

    /// <summary>A cloud service account.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("service_account")]
    ServiceAccount,

    /// <summary>No authentication (the platform's own infrastructure).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("none")]
    None,
}
