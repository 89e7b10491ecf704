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

    /// <summary>Provider and model registry (section 30).</summary>
    public const string Registry = "registry";

    /// <summary>Admin-editable pricing and the pricing engine (section 31).</summary>
    public const string Pricing = "pricing";

    /// <summary>Family and team plans (section 27).</summary>
    public const string Teams = "teams";

    /// <summary>Scheduled prompts (section 26).</summary>
    public const string Scheduler = "scheduler";
}
