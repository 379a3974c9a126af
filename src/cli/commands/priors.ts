/**
 * `eyemulator priors import|distill|show`: build a priors file from the EyeMulator artifact or from
 * scan paths, and print one. The work is in src/priors/; this file only parses flags and prints.
 */
import type { CommandModule } from 'yargs';
import { OptionError } from '../../util/errors.ts';
import {
  distillFiles,
  formatImportReport,
  formatPriors,
  formatPruneReport,
  importArtifactPriors,
  loadPriors,
  MODES,
  NGRAM_ORDERS,
  savePriors,
  type Mode,
  type NgramOrder,
} from '../../priors/index.ts';

function checkMinCount(v: unknown): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`--min-count must be a non-negative integer, got ${String(v)}`);
  return n;
}

const importCmd: CommandModule = {
  command: 'import <dir>',
  describe: "import the EyeMulator artifact's priors folder (drops non-label keys, prunes rare n-grams; reports both)",
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'artifact folder (containing priors/) or its priors/ folder' })
      .option('out', { type: 'string', demandOption: true, describe: 'priors JSON to write' })
      .option('min-count', { type: 'number', default: 5, describe: 'prune n-grams seen fewer times' })
      .option('ngram-order', { choices: ['auto', ...NGRAM_ORDERS], default: 'auto', describe: 'how the artifact n-gram keys are ordered' })
      .example('$0 priors import EyeMulator-artifact --out priors.json', 'the artifact\'s priors as a validated priors file'),
  handler: (argv) => {
    const { priors, report } = importArtifactPriors(String(argv.dir), {
      minCount: checkMinCount(argv['min-count']),
      ngramOrder: argv['ngram-order'] as NgramOrder | 'auto',
    });
    savePriors(priors, String(argv.out));
    console.log(formatImportReport(report));
    console.log(`wrote ${argv.out}`);
  },
};

const distillCmd: CommandModule = {
  command: 'distill <scanpaths..>',
  describe: 'distil scan-path JSONL files into priors (Beta salience per label + label n-gram counts)',
  builder: (y) =>
    y
      .positional('scanpaths', { type: 'string', array: true, demandOption: true, describe: 'scan-path JSONL files' })
      .option('out', { type: 'string', demandOption: true, describe: 'priors JSON to write' })
      .option('min-count', { type: 'number', default: 5, describe: 'prune n-grams seen fewer times' })
      .option('mode-filter', { choices: ['reading', 'writing'], describe: 'use only sessions of this mode' })
      .option('ngram-order', { choices: [...NGRAM_ORDERS], default: 'sequence', describe: 'n-gram keys in visit order, or sorted label sets' })
      .example('$0 priors distill scanpaths/*.jsonl --out priors.json', 'priors from your own scan paths (gaze scanpaths)'),
  handler: (argv) => {
    const minCount = checkMinCount(argv['min-count']);
    const { priors, report } = distillFiles((argv.scanpaths as string[]).map(String), {
      minCount,
      modeFilter: argv['mode-filter'] as 'reading' | 'writing' | undefined,
      ngramOrder: argv['ngram-order'] as NgramOrder,
    });
    savePriors(priors, String(argv.out));
    console.log(
      `read ${report.records} scan paths: ${report.usedByMode.reading} reading, ${report.usedByMode.writing} writing` +
        (report.skippedByFilter ? `, ${report.skippedByFilter} skipped by --mode-filter` : ''),
    );
    console.log(`tokens shown: ${report.tokensShown} (${report.unlabelledTokensShown} unlabelled, not counted in any label)`);
    if (report.unlabelledVisits) console.log(`visits to unlabelled tokens left out of the n-gram sequences: ${report.unlabelledVisits}`);
    if (report.collapsedVisits) console.log(`consecutive repeated visits collapsed: ${report.collapsedVisits}`);
    for (const m of MODES) {
      const p = report.pruned[m];
      if (p) console.log('pruned ' + formatPruneReport(m, p, minCount));
    }
    console.log(`wrote ${argv.out}`);
  },
};

const showCmd: CommandModule = {
  command: 'show <file>',
  describe: 'print the salience table and the top transitions of a priors file',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'priors JSON file' })
      .option('mode', { choices: [...MODES], default: 'combined', describe: 'which priors to show: reading sessions, writing sessions, or both' })
      .option('top', { type: 'number', default: 10, describe: 'how many bigrams/trigrams to list' })
      .option('json', { type: 'boolean', default: false, describe: 'print the validated file as JSON' })
      .example('$0 priors show priors/eyetrans.json --mode reading', 'the shipped EyeTrans priors, reading sessions'),
  handler: (argv) => {
    const priors = loadPriors(String(argv.file));
    if (argv.json) {
      console.log(JSON.stringify(priors, null, 2));
      return;
    }
    const top = Number(argv.top);
    if (!Number.isInteger(top) || top < 0) throw new OptionError(`--top must be a non-negative integer, got ${String(argv.top)}`);
    console.log(formatPriors(priors, argv.mode as Mode, top));
  },
};

const command: CommandModule = {
  command: 'priors <command>',
  describe: 'human-attention priors: import from the EyeMulator artifact, distil from scan paths, show',
  builder: (y) =>
    y
      .command(importCmd).command(distillCmd).command(showCmd).demandCommand(1)
      .example('$0 priors show priors/eyetrans.json', 'the salience table and top transitions of the shipped priors'),
  handler: () => {},
};

export default command;
