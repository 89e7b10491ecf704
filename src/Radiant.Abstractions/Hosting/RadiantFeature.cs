namespace Radiant.Hosting;

/// <summary>The features a host can enable, each with its own <c>Add...</c> method on <see cref="IRadiantBuilder"/>.</summary>
public enum RadiantFeature
{
    /// <summary>System and tenant focus modes (<c>AddFocusModes</c>).</summary>
    FocusModes,

    /// <summary>User personas (<c>AddPersonas</c>).</summary>
    Personas,

    /// <summary>The provider and model registry (<c>AddRegistry</c>).</summary>
    Registry,

    /// <summary>Admin-editable pricing and the pricing engine (<c>AddPricing</c>).</summary>
    Pricing,

    /// <summary>Family and team plans with their token pools (<c>AddTeams</c>).</summary>
    Teams,

    /// <summary>Scheduled prompts (<c>AddScheduler</c>).</summary>
    Scheduler,

    /// <summary>Domain modes and users' model preferences with the models they may pick (<c>AddModelSelection</c>).</summary>
    ModelSelection,

    /// <summary>The auto model router with its health tracker and token counter (<c>AddModelRouter</c>).</summary>
    Routing,

    /// <summary>The chat pipeline, <c>IRadiantChat</c>, with its usage records (<c>AddChat</c>).</summary>
    Chat,

    /// <summary>Usage analytics read from rollups of the usage records, with partition maintenance (<c>AddAnalytics</c>).</summary>
    Analytics,

    /// <summary>The Think Tank admin's user list, stats, export and suspension (<c>AddThinkTankUsers</c>).</summary>
    ThinkTankUsers,
}
