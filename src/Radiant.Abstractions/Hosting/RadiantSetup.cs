using Microsoft.Extensions.Options;

namespace Radiant.Hosting;

/// <summary>A start-up check of the registration itself (options validated on start carry it).</summary>
internal sealed class RadiantSetup;

/// <summary>Fails the host's start when features were enabled but no storage provider implements them.</summary>
internal sealed class RadiantSetupValidator(RadiantRegistrations registrations) : IValidateOptions<RadiantSetup>
{
    public ValidateOptionsResult Validate(string? name, RadiantSetup options) =>
        registrations.Provider is null && registrations.Features.Count > 0
            ? ValidateOptionsResult.Fail(
                $"Radiant features were enabled ({string.Join(", ", registrations.Features.Order())}) but no storage provider implements them: " +
                "call UsePostgres(...) (package Radiant.Postgres) on the builder AddRadiant() returns.")
            : ValidateOptionsResult.Success;
}
