using System.Text;

namespace Vigil.Runbooks.Risk;

/// <summary>One simple command of a shell line: its words (quotes removed) and where its output goes.</summary>
internal sealed record SimpleCommand(IReadOnlyList<string> Words, IReadOnlyList<string> WritesTo, IReadOnlyList<string> Substitutions);

/// <summary>
/// Splits shell text the way a POSIX shell would, far enough to judge it: into simple commands at <c>|</c>, <c>||</c>,
/// <c>&amp;&amp;</c>, <c>;</c>, <c>&amp;</c> and newlines (not inside quotes), joining <c>\</c>-continued lines,
/// dropping comments and <c>$ </c> prompts, and each into words with quotes and escapes removed. Output redirections
/// are kept apart (<c>&gt; file</c> writes a file); <c>$( … )</c> and backquoted commands are kept to be judged too.
/// One pass, no backtracking: linear in the text's length whatever it holds.
/// </summary>
internal static class ShellWords
{
    public static List<SimpleCommand> Split(string text)
    {
        var commands = new List<SimpleCommand>();
        var words = new List<string>();
        var writes = new List<string>();
        var subs = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        string? pendingRedirect = null;
        var i = 0;
        var atLineStart = true;

        void EndWord()
        {
            if (!inWord) return;
            var w = word.ToString();
            word.Clear();
            inWord = false;
            if (pendingRedirect is not null)
            {
                if (pendingRedirect == ">") writes.Add(w);
                pendingRedirect = null;
                return;
            }
            words.Add(w);
        }

        void EndCommand()
        {
            EndWord();
            pendingRedirect = null;
            if (words.Count > 0 || writes.Count > 0 || subs.Count > 0) commands.Add(new SimpleCommand([.. words], [.. writes], [.. subs]));
            words.Clear();
            writes.Clear();
            subs.Clear();
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (atLineStart)
            {
                // A console prompt ("$ ", "# " is a comment anyway) marks a command line in a transcript.
                var j = i;
                while (j < text.Length && text[j] is ' ' or '\t') j++;
                if (j + 1 < text.Length && text[j] == '$' && text[j + 1] == ' ') i = j + 2;
                atLineStart = false;
                continue;
            }
            switch (c)
            {
                case '\\' when i + 1 < text.Length && text[i + 1] == '\n':
                    i += 2;
                    continue;
                case '\\' when i + 2 < text.Length && text[i + 1] == '\r' && text[i + 2] == '\n':
                    i += 3;
                    continue;
                case '\\' when i + 1 < text.Length:
                    word.Append(text[i + 1]);
                    inWord = true;
                    i += 2;
                    continue;
                case '\'':
                {
                    var end = text.IndexOf('\'', i + 1);
                    if (end < 0) end = text.Length;
                    word.Append(text, i + 1, end - i - 1);
                    inWord = true;
                    i = end + 1;
                    continue;
                }
                case '"':
                {
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '(')
                        {
                            i = Substitution(text, i + 2, ')', subs, word);
                            continue;
                        }
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`') i++;
                        word.Append(text[i]);
                        i++;
                    }
                    inWord = true;
                    i++;
                    continue;
                }
                case '$' when i + 1 < text.Length && text[i + 1] == '(':
                    i = Substitution(text, i + 2, ')', subs, word);
                    inWord = true;
                    continue;
                case '`':
                    i = Substitution(text, i + 1, '`', subs, word);
                    inWord = true;
                    continue;
                case '#' when !inWord:
                {
                    var end = text.IndexOf('\n', i);
                    i = end < 0 ? text.Length : end;
                    continue;
                }
                case ' ' or '\t' or '\r':
                    EndWord();
                    i++;
                    continue;
                case '\n':
                    EndCommand();
                    atLineStart = true;
                    i++;
                    continue;
                case ';' or '|' or '&':
                    if (c == '&' && i + 1 < text.Length && text[i + 1] == '>')
                    {
                        // &> file, &>> file: both streams to a file.
                        EndWord();
                        i += text[i + 2 < text.Length ? i + 2 : i] == '>' ? 3 : 2;
                        pendingRedirect = ">";
                        continue;
                    }
                    if (c == '&' && inWord && word.Length > 0 && word[^1] == '>')
                    {
                        // 2>&1, >&2: a stream joined to another, not a file.
                        word.Clear();
                        inWord = false;
                        pendingRedirect = null;
                        i++;
                        while (i < text.Length && char.IsDigit(text[i])) i++;
                        continue;
                    }
                    EndCommand();
                    i += i + 1 < text.Length && (text[i + 1] == c || (c == '|' && text[i + 1] == '&')) ? 2 : 1;
                    continue;
                case '>' or '<':
                {
                    // N> / N>> / > / >> / < : a redirection; its target is the next word.
                    var digits = inWord && word.ToString().All(char.IsDigit);
                    if (inWord && !digits) EndWord();
                    word.Clear();
                    inWord = false;
                    if (i + 1 < text.Length && text[i + 1] == '&')
                    {
                        i += 2;
                        while (i < text.Length && char.IsDigit(text[i])) i++;
                        continue;
                    }
                    if (c == '<' && i + 1 < text.Length && text[i + 1] == '<')
                    {
                        // A here-document or here-string feeds input; it writes nothing.
                        i += 2;
                        pendingRedirect = "<";
                        continue;
                    }
                    pendingRedirect = c == '>' ? ">" : "<";
                    i += i + 1 < text.Length && text[i + 1] == '>' ? 2 : 1;
                    continue;
                }
                default:
                    word.Append(c);
                    inWord = true;
                    i++;
                    continue;
            }
        }
        EndCommand();
        return commands;
    }

    /// <summary>Reads a command substitution up to its closing <paramref name="close"/> (nested parentheses counted),
    /// keeps its text to be judged, and leaves a placeholder in the word; returns the index after it.</summary>
    private static int Substitution(string text, int start, char close, List<string> subs, StringBuilder word)
    {
        var depth = 0;
        var i = start;
        for (; i < text.Length; i++)
        {
            if (close == ')' && text[i] == '(') depth++;
            else if (text[i] == close)
            {
                if (depth == 0) break;
                depth--;
            }
        }
        subs.Add(text[start..Math.Min(i, text.Length)]);
        word.Append("$(…)");
        return Math.Min(i + 1, text.Length);
    }
}
