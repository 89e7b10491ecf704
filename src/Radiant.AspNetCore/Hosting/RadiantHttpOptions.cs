using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Radiant.AspNetCore.Hosting;

/// <summary>
/// How the HTTP endpoints read the caller from the authenticated principal. Bound from the <c>Http</c> sub-section of
/// the configuration given to <c>AddRadiant</c>, then from the code passed to <c>AddHttpApi</c>.
/// </summary>
public sealed class RadiantHttpOptions
{
    /// <summary>The configuration sub-section these options bind from.</summary>
    public const string SectionName = "Http";

    /// <summary>Name of the authorization policy guarding <c>/api/admin/...</c> routes. Redefine it to change who is an admin.</summary>
    public const string AdminPolicy = "RadiantAdmin";

    /// <summary>Claim holding the tenant id (a GUID). Default <c>tenant_id</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "RadiantHttpOptions.TenantIdClaimType must name the claim that carries the tenant id.")]
    public string TenantIdClaimType { get; set; } = "tenant_id";

    /// <summary>Claim holding the user id (a GUID). Default <c>sub</c>, falling back to <see cref="ClaimTypes.NameIdentifier"/>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "RadiantHttpOptions.UserIdClaimType must name the claim that carries the user id.")]
    public string UserIdClaimType { get; set; } = "sub";

    /// <summary>Claim holding the user's email. Default <c>email</c>, falling back to <see cref="ClaimTypes.Email"/>.</summary>
    public string EmailClaimType { get; set; } = "email";

    /// <summary>Claim holding the user's display name. Default <c>name</c>, falling back to <see cref="ClaimTypes.Name"/>.</summary>
    public string NameClaimType { get; set; } = "name";

    /// <summary>Optional claim holding the tenant's display name, used when the tenant is first provisioned. Default <c>tenant_name</c>.</summary>
    public string TenantNameClaimType { get; set; } = "tenant_name";

    /// <summary>
    /// Optional claim holding the user's subscription tier (<c>free</c>, <c>pro</c>, <c>team</c> or <c>enterprise</c>),
    /// stored for the Think Tank user list and its tier filter. Default <c>subscription_tier</c>; other values are ignored.
    /// </summary>
    public string SubscriptionTierClaimType { get; set; } = "subscription_tier";

    /// <summary>
    /// Role required by the default <see cref="AdminPolicy"/> (checked with <see cref="ClaimsPrincipal.IsInRole"/>).
    /// Default <c>admin</c>. Ignored when the host defines the policy itself.
    /// </summary>
    public string AdminRole { get; set; } = "admin";
}

/// <summary>The attribute rules of <see cref="RadiantHttpOptions"/>, checked by generated code at start-up.</summary>
[OptionsValidator]
internal sealed partial class RadiantHttpOptionsValidator : IValidateOptions<RadiantHttpOptions>;
