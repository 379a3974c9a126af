/**
 * `eyemulator label FILE…|- [--lang java|csharp] [--json]`: the semantic labels (METHOD.md §1) of
 * each code token. The work is in src/code/; this file only reads inputs and prints. Code the
 * grammar cannot parse is labelled where it parses; each region it could not parse (tree-sitter
 * ERROR/MISSING) is left unlabelled and named on stderr as `warning: FILE:LINE:COL: …` (--json adds
 * "parseIssues" to that file's line); the exit status stays 0.
 */
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { CODE_LANGS, formatParseIssue, initLabeller, labelCodeDetailed, langFromPath, type CodeLang, type CodeToken } from '../../code/index.ts';
import { InputError, OptionError } from '../../util/errors.ts';

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new InputError(`cannot read (${why}); give an existing .java/.cs file or - for stdin`, { file });
  }
}

function table(tokens: readonly CodeToken[]): string {
  const rows = tokens.map((t) => {
    // One display line per token: newlines of comments / text blocks are shown escaped.
    const text = t.text.length > 60 ? `${t.text.slice(0, 57)}...` : t.text;
    return `${String(t.line).padStart(5)}  ${JSON.stringify(text).slice(1, -1).padEnd(30)}  ${t.label ?? '-'}`;
  });
  return [' line  token                           label', ...rows].join('\n');
}

const label: CommandModule = {
  command: 'label <files..>',
  describe: 'print the semantic label of every code token (Java or C#; - reads stdin)',
  builder: (y) =>
    y
      // yargs re-parses positionals as `--files a b`, which drops a lone `-` (it looks like an
      // option); with this setting `-` survives as a file name. Its side effect, unknown
      // `--options` reaching the file list, ends in a clear "cannot read" error.
      .parserConfiguration({ 'unknown-options-as-args': true })
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'code files (.java, .cs) or - for stdin' })
      .option('lang', { choices: [...CODE_LANGS], describe: 'language of every input (default: from the file extension)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON line per file: {"file", "tokens": [...]}' })
      .example('$0 label Main.java', 'one line per code token: line, text, label')
      .example('cat Snippet.cs | $0 label - --lang csharp --json', 'read stdin; JSON out'),
  handler: async (argv) => {
    const files = (argv.files as unknown[]).map(String);
    const forced = argv.lang as CodeLang | undefined;
    // Decide every language before any output, so a bad input fails the whole run up front.
    const jobs = files.map((file) => {
      const lang = forced ?? (file === '-' ? null : langFromPath(file));
      if (!lang) {
        throw new OptionError(
          file === '-'
            ? 'stdin (-) has no file extension: pass --lang java or --lang csharp'
            : `${file}: unknown code file extension (expected .java or .cs): pass --lang java or --lang csharp`,
        );
      }
      return { file, lang };
    });
    await initLabeller([...new Set(jobs.map((j) => j.lang))]);
    for (const { file, lang } of jobs) {
      const { tokens, issues } = labelCodeDetailed(readInput(file), lang);
      for (const i of issues) process.stderr.write(`eyemulator: warning: ${file}:${formatParseIssue(i)}\n`);
      if (argv.json) {
        const out = tokens.map((t) => ({ text: t.text, start: t.start, end: t.end, line: t.line, label: t.label, labelId: t.labelId }));
        process.stdout.write(JSON.stringify({ file, tokens: out, ...(issues.length ? { parseIssues: issues } : {}) }) + '\n');
      } else {
        if (files.length > 1) process.stdout.write(`== ${file} (${lang})\n`);
        process.stdout.write(table(tokens) + '\n');
      }
    }
  },
};

export default label;
