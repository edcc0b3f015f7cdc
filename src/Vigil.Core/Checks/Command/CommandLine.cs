using System.Text;

namespace Vigil.Core.Checks;

/// <summary>Splits a command line into arguments the way a POSIX shell would, without running one.</summary>
internal static class CommandLine
{
    /// <summary>
    /// Whitespace separates arguments; <c>'…'</c> is literal; <c>"…"</c> keeps spaces and honours <c>\"</c>, <c>\\</c>,
    /// <c>\$</c> and <c>\`</c>; a backslash outside quotes escapes the next character. No expansion of any kind.
    /// </summary>
    public static bool TrySplit(string text, out List<string> arguments, out string? error)
    {
        arguments = [];
        error = null;
        var current = new StringBuilder();
        var inArgument = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inArgument)
                    {
                        arguments.Add(current.ToString());
                        current.Clear();
                        inArgument = false;
                    }
                    break;
                case '\'':
                    {
                        inArgument = true;
                        var end = text.IndexOf('\'', i + 1);
                        if (end < 0)
                        {
                            error = "unterminated single quote";
                            return false;
                        }
                        current.Append(text, i + 1, end - i - 1);
                        i = end;
                        break;
                    }
                case '"':
                    {
                        inArgument = true;
                        i++;
                        while (true)
                        {
                            if (i >= text.Length)
                            {
                                error = "unterminated double quote";
                                return false;
                            }
                            var d = text[i];
                            if (d == '"') break;
                            if (d == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                            {
                                current.Append(text[i + 1]);
                                i += 2;
                                continue;
                            }
                            current.Append(d);
                            i++;
                        }
                        break;
                    }
                case '\\':
                    inArgument = true;
                    if (i + 1 < text.Length)
                    {
                        current.Append(text[i + 1]);
                        i++;
                    }
                    else
                    {
                        current.Append('\\');
                    }
                    break;
                default:
                    inArgument = true;
                    current.Append(c);
                    break;
            }
        }
        if (inArgument) arguments.Add(current.ToString());
        if (arguments.Count == 0)
        {
            error = "nothing to run";
            return false;
        }
        return true;
    }
}
