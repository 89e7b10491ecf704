namespace Radiant.Postgres.Tenancy;

/// <summary>NOTIFY channels, per schema so that two Radiant schemas in one database do not wake each other.</summary>
internal static class RadiantChannels
{
    /// <summary>Pricing changed; the payload is a tenant id, or '*' for every tenant.</summary>
    public static string Pricing(RadiantDb db) => db.Schema.Trim('"') + "_pricing";
}
