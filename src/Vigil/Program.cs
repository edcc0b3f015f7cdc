using Vigil.Cli;

// Socket completions run on the socket engine's own threads instead of a hop through the thread pool each: a probe's
// response is parsed and judged where it arrives. With 1,000 http checks at 10 s this cut CPU a probe by ~9% (a thread
// pool wake-up per response is most of what it saves). Nothing in Vigil blocks a thread after a socket wait (Kestrel
// still hands requests to the pool). It must be set before the first socket is used; an operator's own value wins
// (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 turns it off). See docs/architecture.md, "Check engine".
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

// The table of contents: every verb lives in Cli/, one file each.
return await VigilCli.RunAsync(args);
