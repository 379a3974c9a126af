/**
 * What a run folder records about where its numbers came from: the code revision (and whether the
 * tree had uncommitted changes), the data and priors files by sha256, the seed, the engine and
 * runtime versions, the command line and the start time.
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { native } from '../native/index.ts';
import { sha256File, type FileProvenance } from '../data/artifact-jsonl.ts';
import { packageRoot } from '../util/paths.ts';

export interface GitRevision {
  commit: string | null;
  dirty: boolean | null;
}

export function gitRevision(dir = packageRoot()): GitRevision {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    // Installed from npm (no .git): the package version stands in for the revision.
    return { commit: null, dirty: null };
  }
}

export interface Provenance {
  eyemulator: { version: string; git: GitRevision };
  engine: { torch: string; cuda: boolean };
  node: string;
  host: string;
  argv: string[];
  started: string;
  seed: number;
  data: FileProvenance[];
  priors: { path: string; sha256: string } | null;
  model: { path: string; configSha256: string | null };
}

export async function collectProvenance(o: { seed: number; data: FileProvenance[]; priorsPath: string | null; modelPath: string; modelConfig: string | null; version: string }): Promise<Provenance> {
  const v = native().version();
  return {
    eyemulator: { version: o.version, git: gitRevision() },
    engine: { torch: v.torch, cuda: v.cuda },
    node: process.version,
    host: hostname(),
    argv: process.argv.slice(2),
    started: new Date().toISOString(),
    seed: o.seed,
    data: o.data,
    priors: o.priorsPath ? { path: o.priorsPath, sha256: await sha256File(o.priorsPath) } : null,
    model: { path: o.modelPath, configSha256: o.modelConfig ? await sha256File(o.modelConfig) : null },
  };
}
