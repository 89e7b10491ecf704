using System.Text.Json;

namespace Radiant.FocusModes;

/// <summary>
/// A pre-configured AI behaviour profile. System modes (<see cref="IsSystem"/>) are shared by every tenant and
/// read-only; tenant modes belong to one tenant and are managed by its admins.
/// </summary>
/// <param name="Id">The mode's id.</param>
/// <param name="TenantId">The owning tenant, or null for a system mode.</param>
/// <param name="Name">Machine name, unique among the modes a tenant sees (for example <c>code</c>).</param>
/// <param name="DisplayName">Name shown to users.</param>
/// <param name="Description">Optional description.</param>
/// <param name="Icon">Optional icon name (the system modes use Lucide icon names such as <c>Code</c>).</param>
/// <param name="SystemPrompt">The prompt that sets the mode's behaviour.</param>
/// <param name="DefaultModel">Optional model id used by default in this mode.</param>
/// <param name="Settings">Free-form settings, always a JSON object.</param>
/// <param name="IsSystem">True for the built-in modes.</param>
/// <param name="IsActive">Inactive modes are hidden from users but kept for admins.</param>
/// <param name="CreatedAt">When the mode was created.</param>
/// <param name="UpdatedAt">When the mode was last changed.</param>
public sealed record FocusMode(
    Guid Id,
    Guid? TenantId,
    string Name,
    string DisplayName,
    string? Description,
    string? Icon,
    string SystemPrompt,
    string? DefaultModel,
    JsonElement Settings,
    bool IsSystem,
    bool IsActive,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
