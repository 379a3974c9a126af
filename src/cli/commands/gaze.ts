/**
 * `eyemulator gaze fixations|scanpaths|plot`: raw gaze → fixations CSV → labelled scan-path JSONL →
 * SVG plot. The work is in src/gaze/; this file parses flags, reads/writes files and prints counts
 * (to stderr, so stdout can carry the CSV).
 */
import { readFileSync } from 'node:fs';
import { ensureDir, writeTextAtomic } from '../../util/atomic-write.ts';
import { dirname, extname } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError, OptionError } from '../../util/errors.ts';
import {
  DEFAULT_DETECT,
  degPerSecToPxPerMs,
  detectFixations,
  formatAlignmentStats,
  formatFixationsCsv,
  formatReadCounts,
  formatScanPathLine,
  implausibleBoxes,
  parseGeometry,
  participantFromPath,
  percent,
  readAois,
  readFixationsCsv,
  readSampleCsv,
  readScanPaths,
  readSmi,
  renderScanPathSvg,
  scanPathForStimulus,
  stimulusOfAoiFile,
  type EyeChoice,
  type FixationAlgorithm,
  type GazeRecording,
  type SessionMode,
} from '../../gaze/index.ts';

function writeOut(file: string, text: string): void {
  ensureDir(dirname(file));
  writeTextAtomic(file, text);
}

function num(name: string, v: unknown, allowZero = true): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new OptionError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(v)}`);
  return n;
}

function formatOf(file: string, given: unknown): 'smi' | 'csv' {
  if (given === 'smi' || given === 'csv') return given;
  return extname(file).toLowerCase() === '.csv' ? 'csv' : 'smi';
}

const fixationsCmd: CommandModule = {
  command: 'fixations <file>',
  describe: 'detect fixations in a raw gaze file (SMI IDF text export or t_ms,x,y CSV); writes stimulus,start_ms,end_ms,duration_ms,x,y',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'raw gaze file' })
      .option('format', { choices: ['smi', 'csv'], describe: 'input format (default: csv for .csv, else smi)' })
      .option('stimulus', { type: 'string', describe: 'only this stimulus image (e.g. rectangle_java2.jpg)' })
      .option('algorithm', { choices: ['idt', 'ivt'], default: DEFAULT_DETECT.algorithm, describe: 'I-DT (dispersion threshold) or I-VT (velocity threshold)' })
      .option('dispersion', { type: 'number', default: DEFAULT_DETECT.dispersionPx, describe: 'I-DT: max (max x − min x) + (max y − min y), px' })
      .option('min-duration', { type: 'number', default: DEFAULT_DETECT.minDurationMs, describe: 'minimum fixation duration, ms' })
      .option('velocity', { type: 'number', describe: `I-VT: velocity threshold, px/ms (default ${DEFAULT_DETECT.velocityPxPerMs}, or from --velocity-deg)` })
      .option('velocity-deg', { type: 'number', describe: 'I-VT: velocity threshold in °/s (needs screen geometry: SMI header or --geometry)' })
      .option('geometry', { type: 'string', describe: 'screen "widthPx,heightPx,widthMm,heightMm,distanceMm" (overrides the SMI header)' })
      .option('max-gap', { type: 'number', default: DEFAULT_DETECT.maxGapMs, describe: 'longest gap of lost samples a fixation may bridge, ms' })
      .option('eyes', { choices: ['average', 'left', 'right'], default: 'average', describe: 'SMI: which eye(s) to read' })
      .option('skip-malformed', { type: 'boolean', default: false, describe: 'skip (and count) malformed rows instead of stopping at the first' })
      .option('out', { type: 'string', describe: 'fixation CSV to write (default: stdout)' })
      .example('$0 gaze fixations emip/rawdata/134_rawdata.tsv --stimulus rectangle_java2.jpg --out 134_fixations.csv', 'I-DT fixations of one stimulus of an SMI recording'),
  handler: async (argv) => {
    const file = String(argv.file);
    const format = formatOf(file, argv.format);
    const read = { stimulus: argv.stimulus as string | undefined, onMalformed: argv['skip-malformed'] ? ('skip' as const) : ('error' as const) };
    const rec: GazeRecording = format === 'smi' ? await readSmi(file, { ...read, eyes: argv.eyes as EyeChoice }) : await readSampleCsv(file, read);
    if (read.stimulus !== undefined && rec.stimuli.length === 0) throw new OptionError(`no stimulus "${read.stimulus}" in ${file}`);
    // A header without samples would "succeed" with an empty fixation table.
    if (rec.stimuli.every((s) => s.samples.length === 0)) throw new InputError('no gaze samples after the header: nothing to detect fixations in', { file });
    const algorithm = argv.algorithm as FixationAlgorithm;
    let velocity = argv.velocity === undefined ? undefined : num('velocity', argv.velocity, false);
    if (velocity === undefined && argv['velocity-deg'] !== undefined) {
      const geometry = argv.geometry ? parseGeometry(String(argv.geometry)) : rec.screen;
      if (!geometry) throw new OptionError('--velocity-deg needs screen geometry: the file header has none, give --geometry');
      velocity = degPerSecToPxPerMs(num('velocity-deg', argv['velocity-deg'], false), geometry);
    }
    const det = detectFixations(rec.stimuli, {
      algorithm,
      dispersionPx: num('dispersion', argv.dispersion),
      minDurationMs: num('min-duration', argv['min-duration']),
      velocityPxPerMs: velocity ?? DEFAULT_DETECT.velocityPxPerMs,
      maxGapMs: num('max-gap', argv['max-gap']),
    });
    const csv = formatFixationsCsv(det.fixations);
    if (argv.out) writeOut(String(argv.out), csv);
    else process.stdout.write(csv);
    console.error(formatReadCounts(rec));
    if (rec.sampleRate !== null) console.error(`sample rate: ${rec.sampleRate} Hz`);
    const how = algorithm === 'idt' ? `I-DT, dispersion ${argv.dispersion} px` : `I-VT, ${(velocity ?? DEFAULT_DETECT.velocityPxPerMs)!.toFixed(3)} px/ms`;
    console.error(`samples: ${det.counts.samples}, invalid: ${det.counts.invalid}, fixations: ${det.counts.fixations} (${how}, min ${argv['min-duration']} ms)`);
    if (argv.out) console.error(`wrote ${argv.out}`);
  },
};

const scanpathsCmd: CommandModule = {
  command: 'scanpaths',
  describe: 'map fixations to token boxes and write one labelled scan path (JSONL line) per participant and stimulus',
  builder: (y) =>
    y
      .option('fixations', { type: 'string', demandOption: true, describe: 'fixation CSV (gaze fixations --out)' })
      .option('aois', { type: 'string', demandOption: true, describe: 'token boxes (EMIP aois/*.csv layout)' })
      .option('code', { type: 'string', demandOption: true, describe: 'the program shown (.java or .cs), labelled by the code labeller' })
      .option('mode', { choices: ['reading', 'writing'], demandOption: true, describe: 'session mode' })
      .option('participant', { type: 'string', describe: 'participant id (default: from the fixation file name)' })
      .option('stimulus', { type: 'string', describe: 'stimulus of the AOIs (default: from the AOI file name, e.g. aois_rectangle_java2.csv → rectangle_java2.jpg)' })
      .option('margin', { type: 'number', default: 0, describe: 'grow every box by this many px when hit-testing' })
      .option('out', { type: 'string', demandOption: true, describe: 'scan-path JSONL to write' })
      .example('$0 gaze scanpaths --fixations 134_fixations.csv --aois emip/aois/aois_rectangle_java2.csv --code emip/programs/Rectangle.java --mode reading --out 134.jsonl', 'one labelled scan path for participant 134'),
  handler: async (argv) => {
    const fixFile = String(argv.fixations);
    const codeFile = String(argv.code);
    const { labelCode, langFromPath } = await import('../../code/index.ts');
    const lang = langFromPath(codeFile);
    if (lang === null) throw new OptionError(`--code ${codeFile}: cannot tell the language (use .java or .cs)`);
    let source: string;
    try {
      source = readFileSync(codeFile, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read: ${(err as Error).message}`, { file: codeFile });
    }
    const code = await labelCode(source, lang);
    const aoiFile = await readAois(String(argv.aois));
    const fixations = await readFixationsCsv(fixFile);
    const r = scanPathForStimulus({
      participant: argv.participant ? String(argv.participant) : participantFromPath(fixFile),
      mode: argv.mode as SessionMode,
      aoiFile,
      code,
      fixations,
      stimulus: argv.stimulus as string | undefined,
      marginPx: num('margin', argv.margin),
    });
    writeOut(String(argv.out), formatScanPathLine(r.scanPath) + '\n');
    if (r.alignment) console.error(formatAlignmentStats(r.alignment.stats));
    for (const b of implausibleBoxes(aoiFile.aois)) console.error(`warning: ${aoiFile.file}: box "${b.name}" is ${b.width} px wide for text "${b.text}" (text and box do not fit)`);
    console.error(
      `participant ${r.scanPath.participant}, stimulus ${r.stimulus}: ${r.fixations} fixations, ${r.mapped} on a token, ` +
        `${r.unmapped} unmapped (${percent(r.unmapped, r.fixations)}, margin ${argv.margin} px); ${r.scanPath.visits.length} visits`,
    );
    console.error(`wrote ${argv.out}`);
  },
};

const plotCmd: CommandModule = {
  command: 'plot',
  describe: 'draw a scan path (numbered fixations sized by duration, saccades, visited tokens) over the stimulus image as SVG',
  builder: (y) =>
    y
      .option('scanpath', { type: 'string', demandOption: true, describe: 'scan-path JSONL' })
      .option('aois', { type: 'string', demandOption: true, describe: 'token boxes' })
      .option('image', { type: 'string', demandOption: true, describe: 'stimulus image (.jpg/.png), embedded in the SVG' })
      .option('fixations', { type: 'string', demandOption: true, describe: 'fixation CSV' })
      .option('participant', { type: 'string', describe: 'which scan path of the JSONL (default: the first on the stimulus)' })
      .option('stimulus', { type: 'string', describe: 'stimulus (default: from the AOI file name)' })
      .option('out', { type: 'string', demandOption: true, describe: 'SVG to write' })
      .example('$0 gaze plot --scanpath 134.jsonl --aois emip/aois/aois_rectangle_java2.csv --image emip/stimuli/rectangle_java2.jpg --fixations 134_fixations.csv --out 134.svg', 'the scan path over the stimulus'),
  handler: async (argv) => {
    const aoiFile = await readAois(String(argv.aois));
    const stimulus = (argv.stimulus as string | undefined) ?? stimulusOfAoiFile(aoiFile);
    if (stimulus === null) throw new OptionError(`cannot tell which stimulus ${argv.aois} describes: give --stimulus`);
    const paths = await readScanPaths(String(argv.scanpath));
    const path = paths.find((p) => p.stimulus === stimulus && (argv.participant === undefined || p.participant === String(argv.participant)));
    if (!path) throw new OptionError(`no scan path for stimulus "${stimulus}"${argv.participant !== undefined ? ` and participant ${argv.participant}` : ''} in ${argv.scanpath}`);
    const fixations = (await readFixationsCsv(String(argv.fixations))).filter((f) => f.stimulus === stimulus);
    let image: Uint8Array;
    try {
      image = readFileSync(String(argv.image));
    } catch (err) {
      throw new InputError(`cannot read: ${(err as Error).message}`, { file: String(argv.image) });
    }
    const svg = renderScanPathSvg({ image, fixations, aois: aoiFile.aois, scanPath: path, title: `participant ${path.participant}, ${stimulus} (${path.mode})` });
    writeOut(String(argv.out), svg);
    console.error(`${fixations.length} fixations, ${path.visits.length} visits drawn; wrote ${argv.out}`);
  },
};

const command: CommandModule = {
  command: 'gaze <command>',
  describe: 'eye-tracking pipeline: raw gaze → fixations → token scan paths → plot',
  builder: (y) =>
    y
      .command(fixationsCmd).command(scanpathsCmd).command(plotCmd).demandCommand(1)
      .example('$0 gaze fixations --help', 'raw gaze → fixations, then scanpaths, then plot (docs/gaze.md)'),
  handler: () => {},
};

export default command;
