/**
 * Experiment reports: results format (types.ts), numbers (compute.ts), charts (charts.ts),
 * Markdown / HTML / terminal renderings (format.ts). `writeReport` does all of it into a folder:
 * report.md, report.html, the chart SVGs and report.json (the computed numbers). The report only
 * reads a results file: scoring predictions (trivial baselines included, src/experiment/baselines.ts)
 * happens before it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { parseWith } from '../util/schema.ts';
import { buildReport, type Report, type ReportOptions } from './compute.ts';
import { renderCharts, type Chart } from './charts.ts';
import { reportHtml, reportMarkdown } from './format.ts';
import { resultsSchema, type ResultsFile } from './types.ts';
import { stripBom, writeTextAtomic } from '../util/json.ts';

export * from './types.ts';
export * from './compute.ts';
export * from './charts.ts';
export * from './format.ts';

/** Validates a parsed results object; errors name the field path. */
export function parseResults(obj: unknown, file = 'results'): ResultsFile {
  return parseWith(resultsSchema, obj, file) as ResultsFile;
}

export function loadResults(path: string): ResultsFile {
  let obj: unknown;
  try {
    obj = JSON.parse(stripBom(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new InputError(`cannot read results JSON (${(err as Error).message})`, { file: path }, { cause: err });
  }
  return parseResults(obj, path);
}

export interface WrittenReport {
  report: Report;
  charts: Chart[];
  files: string[];
}

export async function writeReport(results: ResultsFile, outDir: string, opts: ReportOptions = {}): Promise<WrittenReport> {
  const report = buildReport(results, opts);
  const charts = await renderCharts(report.groups);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const p = join(outDir, name);
    writeTextAtomic(p, text);
    files.push(p);
  };
  for (const c of charts) write(c.file, c.svg);
  write('report.md', reportMarkdown(report, charts));
  write('report.html', reportHtml(report, charts));
  write('report.json', JSON.stringify(report, null, 2) + '\n');
  return { report, charts, files };
}
