/**
 * `eyemulator weights`: label a code file, draw one pseudo scan path and show every code token's
 * label, path membership, group n-gram and weight — and, with --tokenizer, the sub-word tokens
 * with their projected weights. A window into exactly what training would use for one draw.
 */
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { InputError, OptionError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { labelName } from '../../code/labels.ts';
import { defaultPriorsPath, loadPriors } from '../../priors/index.ts';
import { buildWeightModel, drawWeights, flattenOffsets, prepareExample, VARIANTS, type ExampleDraw } from '../../weights/index.ts';

interface Row {
  index: number;
  line: number;
  text: string;
  label: string | null;
  punct: boolean;
  onPath: boolean;
  group: string[] | null;
  groupCount: number | null;
  weight: number;
}

function groupRows(tokens: { text: string; line: number; label: string | null; punct: boolean }[], draw: ExampleDraw, labelIds: Uint8Array): Row[] {
  const path = draw.code.path;
  return tokens.map((t, j) => {
    const g = path && path.onPath[j] ? path.groupOf[j] : -1;
    let group: string[] | null = null;
    if (path && g >= 0) {
      group = [];
      for (let k = 0; k < path.groupSize[g]; k++) group.push(labelName(labelIds[path.picked[path.groupFirst[g] + k]]) ?? '?');
    }
    return {
      index: j,
      line: t.line,
      text: t.text,
      label: t.label,
      punct: t.punct,
      onPath: !!draw.code.onPath[j],
      group,
      groupCount: path && g >= 0 ? path.groupCount[g] : null,
      weight: draw.code.weights[j],
    };
  });
}

const show = (s: string, w: number) => {
  const v = JSON.stringify(s).slice(1, -1);
  return (v.length > w ? v.slice(0, w - 1) + '…' : v).padEnd(w);
};

const command: CommandModule = {
  command: 'weights',
  describe: 'label a code file, draw a pseudo scan path and print per-token weights (and sub-word projections)',
  builder: (y) =>
    y
      .option('priors', { type: 'string', describe: 'priors JSON (default: the shipped EyeTrans priors)' })
      .option('code', { type: 'string', demandOption: true, describe: 'Java or C# source file' })
      .option('lang', { choices: ['java', 'csharp'], describe: 'language (default: from the file extension)' })
      .option('tokenizer', { type: 'string', describe: 'HF tokenizer.json: also show sub-word tokens with projected weights' })
      // Not yargs `choices`: an unknown variant is the library's typed OptionError (exit 1, the valid
      // names listed), the same refusal a config file or the API gets.
      .option('variant', { type: 'string', default: 'full', describe: `weighting variant (METHOD.md §6): ${VARIANTS.join(', ')}` })
      .option('w-base', { type: 'number', default: 1, describe: 'w_base (paper 1.0; the artifact code used 3.0)' })
      .option('max-lines', { type: 'number', default: 4, describe: 'L: line span of a bi/trigram group' })
      .option('seed', { type: 'string', default: '0', describe: 'RNG seed (number or string)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .example('$0 weights --code Main.java --tokenizer models/demo-base/tokenizer.json --seed 1', 'one pseudo path and the weights of every code token and sub-word'),
  handler: async (argv) => {
    const file = String(argv.code);
    const { formatParseIssue, initLabeller, labelCodeDetailed, langFromPath } = await import('../../code/index.ts');
    const lang = (argv.lang as 'java' | 'csharp' | undefined) ?? langFromPath(file);
    if (!lang) throw new OptionError(`cannot tell the language of ${file} from its extension: pass --lang java|csharp`);
    let code: string;
    try {
      code = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read: ${(err as Error).message}`, { file }, { cause: err });
    }
    const priorsFile = argv.priors ? String(argv.priors) : defaultPriorsPath();
    const priors = loadPriors(priorsFile);
    const seedText = String(argv.seed);
    const seed = /^\d+$/.test(seedText) ? Number(seedText) : seedText;
    const model = buildWeightModel(priors, String(argv.variant), {
      wBase: Number(argv['w-base']),
      maxLines: Number(argv['max-lines']),
      shuffleSeed: seed,
      priorsFile,
    });
    await initLabeller([lang]);
    // Regions the grammar could not parse are unlabelled (no path weights there): say where.
    const { tokens, issues } = labelCodeDetailed(code, lang);
    for (const i of issues) process.stderr.write(`eyemulator: warning: ${file}:${formatParseIssue(i)}\n`);

    let offsets: number[][] = [];
    let pieces: string[] = [];
    if (argv.tokenizer) {
      const { loadTokenizerFile } = await import('../../model/tokenizer.ts');
      const tok = loadTokenizerFile(String(argv.tokenizer));
      const enc = await tok.encode(code, null, { addSpecialTokens: false });
      offsets = enc.getOffsets();
      const cps = Array.from(code);
      pieces = offsets.map(([a, b]) => cps.slice(a, b).join(''));
    }
    const prepared = prepareExample(tokens, flattenOffsets(offsets));
    const draw = drawWeights(prepared, model, new Rng(seed));
    const rows = groupRows(tokens, draw, prepared.labelIds);
    const path = draw.code.path;
    const summary = {
      file,
      lang,
      priors: priorsFile,
      variant: model.variant,
      wBase: model.terms.wBase,
      seed,
      codeTokens: tokens.length,
      candidates: path?.n ?? 0,
      rho: path?.rho ?? null,
      pathLength: path?.nPicked ?? 0,
      groups: path?.nGroups ?? 0,
    };
    const subwords = offsets.map(([a, b], i) => ({
      index: i,
      text: pieces[i],
      start: a,
      end: b,
      owner: prepared.owner[i] >= 0 ? prepared.owner[i] : null,
      onPath: !!draw.onPath[i],
      weight: draw.weights[i],
    }));
    if (argv.json) {
      console.log(JSON.stringify({ ...summary, tokens: rows, ...(argv.tokenizer ? { subwords } : {}) }, null, 2));
      return;
    }
    console.log(
      `${file} (${lang}): ${summary.codeTokens} code tokens, ${summary.candidates} candidates; variant ${summary.variant}, wBase ${summary.wBase}, seed ${seedText}` +
        (path ? `; ρ = ${path.rho.toFixed(4)}, ${summary.pathLength} on the path in ${summary.groups} groups` : ''),
    );
    console.log('');
    console.log(`${'#'.padStart(4)}  ${'line'.padStart(4)}  ${'token'.padEnd(20)}  ${'label'.padEnd(28)}  path  ${'group n-gram'.padEnd(44)}  ${'count'.padStart(6)}  weight`);
    for (const r of rows) {
      console.log(
        `${String(r.index).padStart(4)}  ${String(r.line).padStart(4)}  ${show(r.text, 20)}  ${show((r.label ?? '-') + (r.punct ? ' (punct)' : ''), 28)}  ${r.onPath ? ' *  ' : '    '}  ${show(r.group ? r.group.join(' | ') : '', 44)}  ${r.groupCount === null ? ''.padStart(6) : String(r.groupCount).padStart(6)}  ${r.weight.toFixed(4)}`,
      );
    }
    if (argv.tokenizer) {
      console.log('');
      console.log(`sub-word tokens (${subwords.length}):`);
      console.log(`${'#'.padStart(4)}  ${'piece'.padEnd(16)}  ${'span'.padEnd(11)}  ${'from'.padStart(5)}  path  weight`);
      for (const s of subwords) {
        console.log(
          `${String(s.index).padStart(4)}  ${show(s.text, 16)}  ${`[${s.start},${s.end})`.padEnd(11)}  ${(s.owner === null ? '-' : String(s.owner)).padStart(5)}  ${s.onPath ? ' *  ' : '    '}  ${s.weight.toFixed(4)}`,
        );
      }
    }
    const prov = priors.provenance as Record<string, unknown>;
    if (Array.isArray(prov.citations) && model.tables) console.log(`\npriors: ${prov.source}\ncite: ${(prov.citations as string[]).join(' | ')}`);
  },
};

export default command;
