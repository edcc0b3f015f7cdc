using Vigil.Cli;

// The table of contents: every verb lives in Cli/, one file each.
return await VigilCli.RunAsync(args);
