using System.Text.Json;
using System.Text.Json.Serialization;
using Radiant.Analytics;
using Radiant.AspNetCore.Chat;
using Radiant.Chat;
using Radiant.Common;
using Radiant.FocusModes;
using Radiant.ModelSelection;
using Radiant.Personas;
using Radiant.Pricing;
using Radiant.Registry;
using Radiant.Scheduling;
using Radiant.Teams;
using Radiant.ThinkTank;

namespace Radiant.AspNetCore.Http;

/// <summary>
/// Source-generated JSON metadata for every type Radiant's endpoints read or write. Bodies are read with these options
/// whatever the host configured: a constructor parameter without a default is required, nullability annotations are
/// honoured, numbers are JSON numbers (not strings), and unknown fields are refused.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(UsageDashboard))]
[JsonSerializable(typeof(UsageTotals))]
[JsonSerializable(typeof(UsageSeries))]
[JsonSerializable(typeof(ModelDistribution))]
[JsonSerializable(typeof(ModelPerformanceReport))]
[JsonSerializable(typeof(TopUsers))]
[JsonSerializable(typeof(UserModelBreakdown))]
[JsonSerializable(typeof(ThinkTankUser))]
[JsonSerializable(typeof(Page<ThinkTankUser>))]
[JsonSerializable(typeof(ThinkTankUserStats))]
[JsonSerializable(typeof(RadiantChatRequest))]
[JsonSerializable(typeof(RadiantChatResponse))]
[JsonSerializable(typeof(RadiantChatUpdate))]
[JsonSerializable(typeof(RadiantChatEstimate))]
[JsonSerializable(typeof(StreamProblem))]
[JsonSerializable(typeof(FocusMode))]
[JsonSerializable(typeof(IReadOnlyList<FocusMode>))]
[JsonSerializable(typeof(FocusModeCreate))]
[JsonSerializable(typeof(FocusModeUpdate))]
[JsonSerializable(typeof(Persona))]
[JsonSerializable(typeof(Page<Persona>))]
[JsonSerializable(typeof(PersonaCreate))]
[JsonSerializable(typeof(PersonaUpdate))]
[JsonSerializable(typeof(PersonaUsage))]
[JsonSerializable(typeof(PersonaUsageLogged))]
[JsonSerializable(typeof(PersonaPrompt))]
[JsonSerializable(typeof(RegistryModel))]
[JsonSerializable(typeof(IReadOnlyList<RegistryModel>))]
[JsonSerializable(typeof(ModelSwitch))]
[JsonSerializable(typeof(TenantPricingConfig))]
[JsonSerializable(typeof(PricingConfigUpdate))]
[JsonSerializable(typeof(ModelPricing))]
[JsonSerializable(typeof(IReadOnlyList<ModelPricing>))]
[JsonSerializable(typeof(BulkMarkupUpdate))]
[JsonSerializable(typeof(BulkMarkupResult))]
[JsonSerializable(typeof(PriceOverrideInput))]
[JsonSerializable(typeof(Page<PriceHistoryEntry>))]
[JsonSerializable(typeof(TeamPlan))]
[JsonSerializable(typeof(Page<TeamPlan>))]
[JsonSerializable(typeof(TeamCreate))]
[JsonSerializable(typeof(TeamUpdate))]
[JsonSerializable(typeof(TeamMember))]
[JsonSerializable(typeof(Page<TeamMember>))]
[JsonSerializable(typeof(TeamInvitation))]
[JsonSerializable(typeof(TeamMemberUpdate))]
[JsonSerializable(typeof(TeamUsage))]
[JsonSerializable(typeof(UsageRecorded))]
[JsonSerializable(typeof(TeamUsageStats))]
[JsonSerializable(typeof(Page<TeamPeriodSummary>))]
[JsonSerializable(typeof(ScheduledPrompt))]
[JsonSerializable(typeof(Page<ScheduledPrompt>))]
[JsonSerializable(typeof(ScheduleCreate))]
[JsonSerializable(typeof(ScheduleUpdate))]
[JsonSerializable(typeof(ScheduleRun))]
[JsonSerializable(typeof(Page<ScheduleRun>))]
[JsonSerializable(typeof(DomainModeConfig))]
[JsonSerializable(typeof(IReadOnlyList<DomainModeConfig>))]
[JsonSerializable(typeof(DomainModesUpdate))]
[JsonSerializable(typeof(DomainModeUpdate))]
[JsonSerializable(typeof(ModelPreferences))]
[JsonSerializable(typeof(ModelPreferencesUpdate))]
[JsonSerializable(typeof(SelectableModel))]
[JsonSerializable(typeof(IReadOnlyList<SelectableModel>))]
[JsonSerializable(typeof(FavoriteToggled))]
[JsonSerializable(typeof(IReadOnlyDictionary<DomainMode, string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<DomainMode, DomainModeUpdate>))]
[JsonSerializable(typeof(decimal?))]
[JsonSerializable(typeof(long?))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool?))]
[JsonSerializable(typeof(JsonElement?))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class RadiantJsonContext : JsonSerializerContext;

/// <summary>The body of <c>GET /api/personas/{id}/prompt</c>.</summary>
/// <param name="PersonaId">The persona.</param>
/// <param name="FocusMode">The focus mode's name, when one was requested.</param>
/// <param name="Prompt">The composed system prompt.</param>
internal sealed record PersonaPrompt(Guid PersonaId, string? FocusMode, string Prompt);

/// <summary>The body of the registry's on/off switches (<c>PUT /api/admin/models/{modelId}/enabled</c>, <c>/thinktank</c>).</summary>
/// <param name="Enabled">On or off.</param>
internal sealed record ModelSwitch(bool Enabled);
