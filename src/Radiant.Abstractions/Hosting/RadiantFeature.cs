namespace Radiant.Hosting;

/// <summary>
/// Records that a host enabled a Radiant feature. Endpoint mapping and background workers read these
/// registrations, so a feature the host did not ask for is neither exposed nor run.
/// </summary>
/// <param name="Name">The feature name, for example <see cref="Personas"/>.</param>
public sealed record RadiantFeature(string Name)
{
    /// <summary>Focus modes (section 25).</summary>
    public const string FocusModes = "focus-modes";

    /// <summary>Personas (section 25).</summary>
    public const string Personas = "personas";
}
