using Hangfire;
using Hangfire.Common;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Server;

namespace Radiant.Benchmarks.Scheduling;

/// <summary>The Hangfire baseline's settings, shared by the process that schedules the jobs and the server processes.</summary>
internal static class HangfireBaseline
{
    public const string Schema = "hangfire";

    /// <summary>
    /// Hangfire.PostgreSql storage: own schema, queue polled every 100 ms (the default is 15 s); optionally with long
    /// polling (workers woken by LISTEN/NOTIFY when a job is enqueued).
    /// </summary>
    public static PostgreSqlStorage CreateStorage(string connectionString, bool longPolling)
    {
        var options = new PostgreSqlStorageOptions
        {
            SchemaName = Schema,
            QueuePollInterval = TimeSpan.FromMilliseconds(100),
            EnableLongPolling = longPolling,
            PrepareSchemaIfNecessary = true,
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options, null), options);
    }

    /// <summary>The serializer settings Hangfire recommends for new applications (the same in every process).</summary>
    public static void ConfigureGlobal() =>
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();
}

/// <summary>The baseline's job (public, as Hangfire requires).</summary>
public static class HangfireJobs
{
    /// <summary>Does nothing: the Hangfire counterpart of the no-op chat client.</summary>
    public static void NoOp()
    {
    }
}

/// <summary>Counts jobs a server performed (reported to the benchmark process, to show how the work was shared).</summary>
internal sealed class PerformedCounter : JobFilterAttribute, IServerFilter
{
    private long _performed;

    public long Performed => Interlocked.Read(ref _performed);

    public void OnPerforming(PerformingContext context)
    {
    }

    public void OnPerformed(PerformedContext context)
    {
        if (context.Exception is null)
        {
            Interlocked.Increment(ref _performed);
        }
    }
}
