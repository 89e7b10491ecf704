namespace Radiant.Postgres.Tenancy;

/// <summary>NOTIFY channels, per schema so that two Radiant schemas in one database do not wake each other.</summary>
internal static class RadiantChannels
{
    /// <summary>Pricing changed; the payload is a tenant id, or '*' for every tenant.</summary>
    public static string Pricing(RadiantDb db) => db.Schema.Trim('"') + "_pricing";

    /// <summary>A schedule was created or changed, or a run was requested: scheduler workers look for due work now.</summary>
    public static string Schedules(RadiantDb db) => db.Schema.Trim('"') + "_schedules";
}
