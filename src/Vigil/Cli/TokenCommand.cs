using System.CommandLine;
using Vigil.Core.Security;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Security;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil token create|list|revoke</c>: manage API tokens straight in the database, for the first
/// admin token and for recovery when no admin token is left.
/// </summary>
internal static class TokenCommand
{
    public static Command Build()
    {
        var command = new Command("token", "Create, list and revoke API tokens.");
        command.Subcommands.Add(Create());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Revoke());
        return command;
    }

    private sealed record StoreOptions(Option<string?> Workspace, Option<string?> Data, Option<string?> Database);

    private static StoreOptions AddStoreOptions(Command c)
    {
        var o = new StoreOptions(
            new Option<string?>("--workspace", "-w") { Description = "The workspace folder; its data folder is WORKSPACE/.vigil/ (default: the current folder)." },
            CommonOptions.Data(),
            CommonOptions.Database());
        c.Options.Add(o.Workspace);
        c.Options.Add(o.Data);
        c.Options.Add(o.Database);
        return o;
    }

    private static Command Create()
    {
        var name = new Option<string>("--name", "-n") { Description = "What the token is for, e.g. ci-deploy.", Required = true };
        var role = new Option<string>("--role", "-r") { Description = $"One of {Roles.All}.", Required = true };
        var command = new Command("create", "Create an API token and print it once (it is stored only as a hash).") { name, role };
        var store = AddStoreOptions(command);
        command.SetAction(async (result, ct) =>
        {
            var error = result.InvocationConfiguration.Error;
            if (!Roles.TryParse(result.GetValue(role), out var r))
            {
                await error.WriteLineAsync($"vigil: role must be one of {Roles.All}.");
                return ExitCodes.Usage;
            }
            var tokenName = result.GetValue(name)!.Trim();
            if (tokenName.Length is 0 or > 100)
            {
                await error.WriteLineAsync("vigil: --name must be 1 to 100 characters.");
                return ExitCodes.Usage;
            }
            return await WithStoreAsync(result, store, async sp =>
            {
                var actor = $"cli:{Environment.UserName}";
                var created = await sp.GetRequiredService<TokenStore>().CreateAsync(tokenName, r, actor, ct: ct);
                await sp.GetRequiredService<AuditLog>().RecordAsync(actor, "token.create", created.Info.Id, null, AuditLog.Ok, new { name = tokenName, role = Roles.Name(r) });
                // The token alone on stdout, so `TOKEN=$(vigil token create …)` works; the rest on stderr.
                await result.InvocationConfiguration.Output.WriteLineAsync(created.Token);
                await error.WriteLineAsync($"Created {Roles.Name(r)} token {created.Info.Id} '{tokenName}'. It is shown only this once; store it now.");
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List API tokens (never their secret).");
        var store = AddStoreOptions(command);
        command.SetAction(async (result, ct) => await WithStoreAsync(result, store, async sp =>
        {
            var output = result.InvocationConfiguration.Output;
            var (items, _, _) = await sp.GetRequiredService<TokenStore>().ListAsync(int.MaxValue, null, ct);
            await output.WriteLineAsync($"{"ID",-18} {"NAME",-24} {"ROLE",-10} {"PREFIX",-9} {"CREATED",-20} STATE");
            foreach (var t in items)
            {
                await output.WriteLineAsync($"{t.Id,-18} {t.Name,-24} {Roles.Name(t.Role),-10} {t.Prefix,-9} {t.CreatedAt:yyyy-MM-dd HH:mm:ss}  {(t.RevokedAt is null ? "active" : "revoked")}");
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Revoke()
    {
        var id = new Argument<string>("ID") { Description = "The token's id (tok_…), from `vigil token list`." };
        var command = new Command("revoke", "Revoke an API token; it stops working at once.") { id };
        var store = AddStoreOptions(command);
        command.SetAction(async (result, ct) => await WithStoreAsync(result, store, async sp =>
        {
            var tokenId = result.GetValue(id)!;
            var actor = $"cli:{Environment.UserName}";
            var found = await sp.GetRequiredService<TokenStore>().RevokeAsync(tokenId, ct);
            await sp.GetRequiredService<AuditLog>().RecordAsync(actor, "token.revoke", tokenId, null, found ? AuditLog.Ok : AuditLog.Failed);
            if (!found)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"vigil: no token '{tokenId}'.");
                return ExitCodes.Failure;
            }
            await result.InvocationConfiguration.Error.WriteLineAsync($"Revoked {tokenId}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task<int> WithStoreAsync(ParseResult result, StoreOptions o, Func<IServiceProvider, Task<int>> action, CancellationToken ct)
    {
        var error = result.InvocationConfiguration.Error;
        var workspace = result.GetValue(o.Workspace) ?? ".";
        var dataDir = result.GetValue(o.Data) ?? Path.Combine(workspace, ".vigil");
        try
        {
            var provider = VigilStorage.Parse(CommonOptions.ResolveDatabase(result.GetValue(o.Database)), Path.GetFullPath(dataDir));
            var services = new ServiceCollection()
                .AddSingleton(TimeProvider.System)
                .AddSingleton(new WorkspaceState(TimeProvider.System))
                .AddSingleton<TokenStore>()
                .AddSingleton<AuditLog>()
                .AddVigilStorage(provider);
            await using var sp = services.BuildServiceProvider();
            await VigilStorage.MigrateAsync(sp, ct);
            return await action(sp);
        }
        catch (StorageConfigurationException e)
        {
            await error.WriteLineAsync($"vigil: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await error.WriteLineAsync($"vigil: cannot open the database: {SecretSet.RedactUrlCredentials(e.Message)}");
            return ExitCodes.Failure;
        }
    }
}
