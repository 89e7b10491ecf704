using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Radiant.AspNetCore.Hosting;
using Radiant.Postgres.Hosting;

namespace Radiant.Tests.Hosting;

/// <summary>
/// The packages' public signatures use only .NET, Microsoft.Extensions / ASP.NET Core and Radiant's own types, so a
/// dependency (Cronos, Dapper, MailKit, Polly, Npgsql) can change or go without breaking a host. The one exception is
/// the <c>UsePostgres</c> overloads that take the host's Npgsql data source or builder: that is their point.
/// </summary>
public sealed class PublicSurfaceTests
{
    private static readonly Assembly[] Packages =
        [typeof(RadiantServiceCollectionExtensions).Assembly, typeof(RadiantPostgresOptions).Assembly, typeof(RadiantHttpOptions).Assembly];

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    [Fact]
    public void Public_signatures_expose_no_third_party_type()
    {
        var offenders = new List<string>();
        foreach (var type in Packages.SelectMany(a => a.GetExportedTypes()))
        {
            foreach (var (where, used) in SignatureTypes(type))
            {
                var owner = used.Assembly.GetName().Name!;
                if (!IsAllowed(owner) && !IsNpgsqlOverload(where, used))
                {
                    offenders.Add($"{where}: {used.FullName} ({owner})");
                }
            }
        }

        Assert.Empty(offenders);
    }

    private static bool IsAllowed(string assembly) =>
        assembly.StartsWith("System", StringComparison.Ordinal)
        || assembly.StartsWith("Microsoft.", StringComparison.Ordinal)
        || assembly.StartsWith("Radiant.", StringComparison.Ordinal)
        || assembly is "mscorlib" or "netstandard";

    private static bool IsNpgsqlOverload(string where, Type used) =>
        where.StartsWith($"{typeof(RadiantPostgresBuilderExtensions).FullName}.{nameof(RadiantPostgresBuilderExtensions.UsePostgres)}(", StringComparison.Ordinal)
        && used.FullName is "Npgsql.NpgsqlDataSource" or "Npgsql.NpgsqlDataSourceBuilder";

    private static IEnumerable<(string Where, Type Used)> SignatureTypes(Type type)
    {
        var name = type.FullName!;
        var direct = new List<(string, Type)>();
        if (type.BaseType is { } baseType)
        {
            direct.Add((name, baseType));
        }

        direct.AddRange(type.GetInterfaces().Select(i => (name, i)));
        direct.AddRange(type.GetGenericArguments().SelectMany(a => a.GetGenericParameterConstraints()).Select(c => (name, c)));
        foreach (var member in type.GetMembers(Declared).Where(IsVisible))
        {
            var where = $"{name}.{member.Name}";
            switch (member)
            {
                case FieldInfo field:
                    direct.Add((where, field.FieldType));
                    break;
                case PropertyInfo property:
                    direct.Add((where, property.PropertyType));
                    direct.AddRange(property.GetIndexParameters().Select(p => (where, p.ParameterType)));
                    break;
                case EventInfo @event when @event.EventHandlerType is { } handler:
                    direct.Add((where, handler));
                    break;
                case MethodBase method:
                    where = $"{where}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
                    if (method is MethodInfo withReturn)
                    {
                        direct.Add((where, withReturn.ReturnType));
                    }

                    direct.AddRange(method.GetParameters().Select(p => (where, p.ParameterType)));
                    break;
            }
        }

        return direct.SelectMany(d => Flatten(d.Item2).Select(t => (d.Item1, t)));
    }

    private static bool IsVisible(MemberInfo member) => member switch
    {
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(IsVisible),
        EventInfo e => e.AddMethod is { } add && IsVisible(add),
        _ => false,
    };

    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.IsGenericParameter)
        {
            yield break;
        }

        if (type.HasElementType)
        {
            foreach (var inner in Flatten(type.GetElementType()!))
            {
                yield return inner;
            }

            yield break;
        }

        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        foreach (var argument in type.GetGenericArguments().SelectMany(Flatten))
        {
            yield return argument;
        }
    }
}
