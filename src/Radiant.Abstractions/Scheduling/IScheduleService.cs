using Radiant.Common;
using Radiant.Tenancy;

namespace Radiant.Scheduling;

/// <summary>
/// Scheduled prompts: create, list, change, pause/resume, delete and run now. Users see and change
/// only their own schedules (another user's schedule is "not found"); tenant admins see the tenant's. Execution is
/// the scheduler worker's job (<c>AddSchedulerWorker</c>); every change wakes the workers at once.
/// </summary>
public interface IScheduleService
{
    /// <summary>Creates a schedule owned by the caller. Throws a validation error (nothing stored) for a bad field or an unknown model.</summary>
    Task<ScheduledPrompt> CreateAsync(RadiantCaller caller, ScheduleCreate input, CancellationToken cancellationToken = default);

    /// <summary>Lists schedules, newest first, with their total runs and last status.</summary>
    Task<Page<ScheduledPrompt>> ListAsync(RadiantCaller caller, ScheduleListQuery query, CancellationToken cancellationToken = default);

    /// <summary>Gets one schedule.</summary>
    Task<ScheduledPrompt> GetAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Partially updates a schedule; a timing change recomputes the next run from now.</summary>
    Task<ScheduledPrompt> UpdateAsync(RadiantCaller caller, Guid scheduleId, ScheduleUpdate input, CancellationToken cancellationToken = default);

    /// <summary>Pauses a schedule (idempotent): no run starts until it is resumed. A run already started finishes.</summary>
    Task<ScheduledPrompt> PauseAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Resumes a schedule, computing its next run from now (missed occurrences are not replayed). A once schedule
    /// whose instant passed while paused runs now; one that already ran at its instant needs a new <c>runAt</c>
    /// first, and a schedule that reached its max runs needs a higher limit (otherwise: conflict).
    /// </summary>
    Task<ScheduledPrompt> ResumeAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the schedule's webhook signing secret and returns the schedule with the new one, the only time it is
    /// shown (create shows the first). Deliveries from now on are signed with it; the old one stops verifying.
    /// </summary>
    Task<ScheduledPrompt> RotateWebhookSecretAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule and its run history.</summary>
    Task DeleteAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Lists a schedule's runs, newest occurrence (<see cref="ScheduleRun.ScheduledFor"/>) first.</summary>
    Task<Page<ScheduleRun>> ListRunsAsync(RadiantCaller caller, Guid scheduleId, PageRequest page, CancellationToken cancellationToken = default);

    /// <summary>Gets one run of a schedule.</summary>
    Task<ScheduleRun> GetRunAsync(RadiantCaller caller, Guid scheduleId, Guid runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a run now, whether the schedule is active or paused; a worker picks it up within about a second. It
    /// neither counts towards max runs nor moves the next run.
    /// </summary>
    Task<ScheduleRun> RunNowAsync(RadiantCaller caller, Guid scheduleId, CancellationToken cancellationToken = default);
}
