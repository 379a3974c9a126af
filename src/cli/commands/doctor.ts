/**
 * `eyemulator doctor [--json]`
 *
 * What this installation runs on: the libtorch the addon was built against and why set-up chose it
 * (build-info/torch-choice.json, written by scripts/torch-choice.mjs), CUDA, threads, Node. The first
 * thing to paste into a bug report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { native } from '../../native/index.ts';
import { packageRoot } from '../../util/paths.ts';

interface TorchChoice {
  source?: string;
  torchDir?: string;
  version?: string | null;
  reason?: string;
  decidedAt?: string;
}

/** The set-up's recorded libtorch choice, or null when set-up never ran here (e.g. a prebuild). */
export function readTorchChoice(root = packageRoot()): TorchChoice | null {
  const file = join(root, 'build-info', 'torch-choice.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as TorchChoice;
  } catch {
    return null;
  }
}

const command: CommandModule<object, { json: boolean }> = {
  command: 'doctor',
  describe: 'show the libtorch the engine runs on (and why set-up chose it), CUDA, threads, Node',
  builder: (y) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print one JSON object' }).example('$0 doctor', 'where does my engine come from?'),
  handler: (argv) => {
    const v = native().version();
    const choice = readTorchChoice();
    const addon = process.env.EYEMULATOR_ADDON ?? join(packageRoot(), 'build', 'Release', 'eyemulator.node');
    const report = {
      libtorch: v.torch,
      libtorchSource: choice?.source ?? 'unknown (no build-info/torch-choice.json: a prebuild, or built by hand)',
      libtorchDir: choice?.torchDir ?? null,
      reason: choice?.reason ?? null,
      addon,
      cudaBuilt: v.cudaBuilt,
      cudaDevices: v.cudaDevices,
      threads: v.threads,
      parallel: v.parallelInfo.split('\n').find((l) => /ATen parallel backend/.test(l))?.trim() ?? null,
      node: process.version,
    };
    if (argv.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`libtorch     ${report.libtorch} (${report.libtorchSource})`);
    if (report.libtorchDir) console.log(`  from       ${report.libtorchDir}`);
    if (report.reason) console.log(`  why        ${report.reason}`);
    console.log(`addon        ${report.addon}`);
    console.log(`CUDA         ${report.cudaBuilt ? `built, ${report.cudaDevices} device(s) visible` : 'not built (CPU libtorch)'}`);
    console.log(`threads      ${report.threads}${report.parallel ? ` (${report.parallel})` : ''}`);
    console.log(`node         ${report.node}`);
  },
};

export default command;
