using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenAI;
using Radiant.Postgres.Scheduling;

// A scheduler worker alone in its process, so a test can kill it mid-run (Process.Kill) and watch another worker
// recover the run. Usage: Radiant.Tests.WorkerHost <service connection string> <owner connection string>
// <chat endpoint (…/v1)> <lease seconds> <worker id>
if (args.Length != 5)
{
    await Console.Error.WriteLineAsync("usage: Radiant.Tests.WorkerHost <service connection string> <owner connection string> <chat endpoint> <lease seconds> <worker id>");
    return 2;
}

var connectionString = args[0];
var ownerConnectionString = args[1];
var endpoint = new Uri(args[2]);
var lease = TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture));
var workerId = args[4];

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.SetMinimumLevel(LogLevel.Information);
builder.Services.AddRadiant()
    .UsePostgres(connectionString, o => o.MigrationConnectionString = ownerConnectionString)
    .AddScheduler()
    .AddSchedulerWorker(o =>
    {
        o.WorkerId = workerId;
        o.LeaseDuration = lease;
        o.HeartbeatInterval = lease / 4;
        o.PollInterval = TimeSpan.FromMilliseconds(500);
        o.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
        o.IsTransientFailure = e => SchedulerWorkerOptions.IsTransientByDefault(e) || e is ClientResultException { Status: 429 or >= 500 };
    });

var openAi = new OpenAIClient(new ApiKeyCredential("test"), new OpenAIClientOptions { Endpoint = endpoint, RetryPolicy = new ClientRetryPolicy(0) });
builder.Services.AddKeyedChatClient("openai", openAi.GetChatClient("gpt-4o").AsIChatClient());

using var host = builder.Build();
await host.RunAsync();
return 0;
