/**
 * EMIP end to end: for every participant with a raw file in <data>/emip/rawdata, read the SMI
 * export, detect fixations (I-DT), map them to the token boxes of the Rectangle and Vehicle stimuli
 * the participant saw (emip_metadata.csv), label the boxes with the code labeller run on the
 * program shown, and write:
 *   <out>/fixations/<id>_fixations.csv   all fixations of the participant (every stimulus)
 *   <out>/scanpaths.jsonl                 one scan path per (participant, code stimulus)
 *   <out>/<id>_<stimulus>.svg             scan-path plot of the first participant on Rectangle
 *   <out>/summary.json                    the printed table, machine-readable, with the parameters
 * and print a table: participant, stimulus, sample rate, samples, invalid, fixations, mapped,
 * unmapped share.
 *
 * Usage: node --import tsx scripts/emip-end-to-end.ts [outDir=out/emip]
 * Data: $EYEMULATOR_DATA or <repo>/../shared/data. EMIP data: Bednarik et al., "EMIP: The eye
 * movements in programming dataset", Science of Computer Programming 198 (2020), CC-BY-4.0.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labelCode, type CodeToken } from '../src/code/index.ts';
import {
  DEFAULT_DETECT,
  detectFixations,
  formatAlignmentStats,
  formatFixationsCsv,
  formatScanPathLine,
  implausibleBoxes,
  percent,
  pixelsPerDegree,
  readAois,
  readSmi,
  renderScanPathSvg,
  scanPathForStimulus,
  splitCsvLine,
  type AoiFile,
  type DetectOptions,
} from '../src/gaze/index.ts';
import { InputError } from '../src/util/errors.ts';
import { dataRoot as sharedDataRoot } from '../src/util/paths.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataRoot = sharedDataRoot();
const emip = join(dataRoot, 'emip');
const outDir = resolve(process.argv[2] ?? join(repo, 'out', 'emip'));

/** Fixation parameters (docs/gaze.md explains the choice). */
const DETECT: DetectOptions = { ...DEFAULT_DETECT, algorithm: 'idt' };
/** Hit-test margin: half a degree of visual angle (the tracker's nominal accuracy), from the SMI header. */
const MARGIN_DEG = 0.5;
/** EMIP is a comprehension task: reading sessions. */
const MODE = 'reading' as const;

/** Which program each stimulus family shows. */
const PROGRAMS: Record<string, string> = { rectangle: 'Rectangle.java', vehicle: 'Vehicle.java' };

interface Row {
  participant: string;
  stimulus: string;
  sampleRate: number | null;
  samples: number;
  invalid: number;
  fixations: number;
  mapped: number;
  unmapped: number;
  visits: number;
}

/** emip_metadata.csv: participant id → the rectangle and vehicle images shown. */
function readMetadata(file: string): Map<string, string[]> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = splitCsvLine(lines[0]) ?? [];
  const col = (n: string) => header.indexOf(n);
  const [id, rect, veh] = [col('id'), col('stimulus_rectangle'), col('stimulus_vehicle')];
  if (id < 0 || rect < 0 || veh < 0) throw new InputError('emip_metadata.csv lacks id / stimulus_rectangle / stimulus_vehicle columns', { file, line: 1 });
  const out = new Map<string, string[]>();
  lines.slice(1).forEach((line, i) => {
    if (line.trim() === '') return;
    const f = splitCsvLine(line);
    if (f === null || f.length !== header.length) throw new InputError(`row has ${f?.length ?? 'unreadable'} fields, the header has ${header.length}`, { file, line: i + 2 });
    out.set(f[id], [f[rect], f[veh]]);
  });
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(emip)) {
    console.error(`EMIP data not found at ${emip} (set EYEMULATOR_DATA to the folder holding emip/)`);
    process.exit(1);
  }
  mkdirSync(join(outDir, 'fixations'), { recursive: true });
  const meta = readMetadata(join(emip, 'emip_metadata.csv'));
  const participants = readdirSync(join(emip, 'rawdata'))
    .map((f) => /^(\d+)_rawdata\.tsv$/.exec(f)?.[1])
    .filter((p): p is string => p !== undefined)
    .sort((a, b) => Number(a) - Number(b));

  const codeCache = new Map<string, CodeToken[]>();
  const aoiCache = new Map<string, AoiFile>();
  const reported = new Set<string>();
  const rows: Row[] = [];
  const jsonl: string[] = [];
  let plotted: string | null = null;

  for (const p of participants) {
    const shown = meta.get(p);
    if (!shown) throw new InputError(`participant ${p} has a raw file but no metadata row`, { file: join(emip, 'emip_metadata.csv') });
    const rec = await readSmi(join(emip, 'rawdata', `${p}_rawdata.tsv`));
    const det = detectFixations(rec.stimuli, DETECT);
    writeFileSync(join(outDir, 'fixations', `${p}_fixations.csv`), formatFixationsCsv(det.fixations));
    const margin = rec.screen ? Math.round(MARGIN_DEG * pixelsPerDegree(rec.screen)) : 34;

    for (const image of shown) {
      const stem = image.replace(/\.jpe?g$/i, '');
      const program = PROGRAMS[stem.split('_')[0]];
      const aoiPath = join(emip, 'aois', `aois_${stem}.csv`);
      if (!program || !existsSync(aoiPath)) {
        console.error(`participant ${p}: no AOI file / program for ${image} in this subset, skipped`);
        continue;
      }
      let code = codeCache.get(program);
      if (!code) {
        code = await labelCode(readFileSync(join(emip, 'programs', program), 'utf8'), 'java');
        codeCache.set(program, code);
      }
      let aoiFile = aoiCache.get(aoiPath);
      if (!aoiFile) {
        aoiFile = await readAois(aoiPath);
        aoiCache.set(aoiPath, aoiFile);
      }
      const r = scanPathForStimulus({ participant: p, mode: MODE, aoiFile, code, fixations: det.fixations, stimulus: image, marginPx: margin });
      if (!reported.has(aoiPath) && r.alignment) {
        reported.add(aoiPath);
        console.error(`${aoiPath} ↔ ${program}:\n${formatAlignmentStats(r.alignment.stats)}`);
        for (const b of implausibleBoxes(aoiFile.aois)) console.error(`  warning: box "${b.name}" is ${b.width} px wide for text "${b.text}" (EMIP AOI defect: text and box do not fit)`);
      }
      jsonl.push(formatScanPathLine(r.scanPath));
      const seg = rec.stimuli.find((s) => s.stimulus === image);
      rows.push({
        participant: p,
        stimulus: image,
        sampleRate: rec.sampleRate,
        samples: seg?.samples.length ?? 0,
        invalid: seg?.invalid ?? 0,
        fixations: r.fixations,
        mapped: r.mapped,
        unmapped: r.unmapped,
        visits: r.scanPath.visits.length,
      });
      if (plotted === null && stem.startsWith('rectangle')) {
        const svg = renderScanPathSvg({
          image: readFileSync(join(emip, 'stimuli', image)),
          fixations: det.fixations.filter((f) => f.stimulus === image),
          aois: aoiFile.aois,
          scanPath: r.scanPath,
          title: `EMIP participant ${p}, ${image} (${MODE})`,
        });
        plotted = join(outDir, `${p}_${stem}.svg`);
        writeFileSync(plotted, svg);
      }
    }
  }
  writeFileSync(join(outDir, 'scanpaths.jsonl'), jsonl.join('\n') + '\n');
  writeFileSync(
    join(outDir, 'summary.json'),
    JSON.stringify({ detect: DETECT, marginDeg: MARGIN_DEG, mode: MODE, rows, source: 'EMIP (Bednarik et al., SCP 198, 2020), CC-BY-4.0' }, null, 2) + '\n',
  );

  const head = ['participant', 'stimulus', 'rate Hz', 'samples', 'invalid', 'fixations', 'mapped', 'unmapped'];
  const body = rows.map((r) => [r.participant, r.stimulus, String(r.sampleRate ?? '?'), String(r.samples), String(r.invalid), String(r.fixations), String(r.mapped), percent(r.unmapped, r.fixations)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(`I-DT dispersion ${DETECT.dispersionPx} px, min duration ${DETECT.minDurationMs} ms, max gap ${DETECT.maxGapMs} ms; hit-test margin ${MARGIN_DEG}° of visual angle`);
  console.log(fmt(head));
  console.log('|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const b of body) console.log(fmt(b));
  console.log(`wrote ${join(outDir, 'scanpaths.jsonl')} (${jsonl.length} scan paths), ${join(outDir, 'fixations')}/, ${plotted ?? 'no plot'}`);
  console.log('EMIP data: Bednarik et al., "EMIP: The eye movements in programming dataset", SCP 198 (2020), CC-BY-4.0.');
}

await main();
