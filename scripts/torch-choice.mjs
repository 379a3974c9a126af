#!/usr/bin/env node
// Which libtorch the native addon is built against — the decision `scripts/setup.sh` delegates
// here, so that it is one piece of logic with unit tests (test/setup/torch-choice.test.ts) rather
// than shell branches. Plain Node (no dependencies): it runs before `npm ci`.
//
// Order of preference (first usable wins):
//   1. TORCH_DIR            — a libtorch root or its share/cmake/Torch folder (CUDA builds, custom builds).
//   2. Python torch >= 2     — the `python3` on PATH (or EYEMULATOR_PYTHON) already has torch >= 2.
//   3. project venv (.venv)  — torch >= 2 pip-installed into <repo>/.venv, with pip *as configured on
//                             this machine*: when `pip config list` names local indexes (file:// URLs),
//                             they become --index-url/--extra-index-url so pip never waits on an
//                             unreachable public index; every attempt is bounded by a timeout.
//   4. Debian libtorch-dev   — 1.13, CPU; the fallback (no SDPA, slower).
// EYEMULATOR_TORCH=debian|venv|python forces one source (an error when it is unusable).
//
// CLI: `node scripts/torch-choice.mjs [--root DIR] [--no-install]` probes the machine, installs
// the venv when that is the choice, writes build-info/torch-choice.json and prints shell
// assignments (TORCH_SOURCE, TORCH_DIR, TORCH_VERSION, TORCH_REASON) for setup.sh to eval.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, fsyncSync, closeSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The minimum Python torch the default build accepts (SDPA, foreach/fused AdamW, C++17 headers). */
export const MIN_TORCH_MAJOR = 2;
export const DEBIAN_TORCH_DIR = '/usr/lib/x86_64-linux-gnu/cmake/Torch';

/** "2.13.0+cpu" → {major: 2, minor: 13}; null when unparsable. */
export function parseTorchVersion(v) {
  const m = /^(\d+)\.(\d+)/.exec(String(v ?? '').trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/**
 * Output of the probe one-liner (`PROBE_PY`): "<version>\n<cmake_prefix_path>\n<cxx11abi>" → facts,
 * or null when torch is missing or the output is malformed.
 */
export function parseTorchProbe(out) {
  const lines = String(out ?? '').trim().split('\n').map((s) => s.trim());
  if (lines.length < 2 || !parseTorchVersion(lines[0]) || !lines[1]) return null;
  return { version: lines[0], cmakePrefix: lines[1], cxx11Abi: lines[2] === '1' || lines[2] === 'True' };
}

export const PROBE_PY =
  'import torch, torch.utils; print(torch.__version__); print(torch.utils.cmake_prefix_path); ' +
  'print(int(torch._C._GLIBCXX_USE_CXX11_ABI))';

/**
 * `pip config list` output → the index arguments for a bounded install. Local indexes (file://)
 * become the *only* indexes (--index-url first, --extra-index-url the rest); find-links are kept.
 * Without local indexes the user's configuration is left alone (empty args): on an ordinary machine
 * that is the public index or the mirror they configured.
 */
export function pipIndexArgs(configListing) {
  const vals = (key) => {
    const out = [];
    for (const line of String(configListing ?? '').split('\n')) {
      const m = /^[\w:.-]*?\.?([\w-]+)='(.*)'$/.exec(line.trim());
      if (m && m[1] === key) out.push(...m[2].split(/\s+/).filter(Boolean));
    }
    return [...new Set(out)];
  };
  const indexes = [...vals('index-url'), ...vals('extra-index-url')];
  const local = indexes.filter((u) => u.startsWith('file:'));
  if (local.length === 0) return [];
  const args = ['--index-url', local[0]];
  for (const u of local.slice(1)) args.push('--extra-index-url', u);
  for (const f of vals('find-links')) args.push('--find-links', f);
  return args;
}

function isDebianPrefix(prefix) {
  return /^\/usr\/lib(\/|$)/.test(prefix ?? '');
}

function modern(probe) {
  const v = probe && parseTorchVersion(probe.version);
  return !!v && v.major >= MIN_TORCH_MAJOR && !isDebianPrefix(probe.cmakePrefix);
}

/**
 * The decision, from facts only (no I/O), so it can be unit-tested.
 * facts: {
 *   torchDirEnv?: string, torchDirValid?: boolean,       // TORCH_DIR and whether it holds TorchConfig.cmake
 *   force?: 'debian'|'venv'|'python'|string,             // EYEMULATOR_TORCH
 *   pythonTorch?: probe|null,                           // the PATH python's torch
 *   venvTorch?: probe|null,                             // <repo>/.venv's torch (already installed)
 *   venvInstall?: 'ok'|'failed'|'unavailable'|'not-tried', // the venv attempt's outcome (when made)
 *   venvError?: string,
 *   debianInstalled?: boolean, debianInstallable?: boolean,
 * }
 * Returns {action: 'use', source, torchDir, version, reason} | {action: 'install-venv', reason}
 *       | {action: 'use-debian', install: boolean, reason} | {action: 'error', reason}.
 */
export function chooseTorch(facts) {
  const f = facts ?? {};
  const force = f.force || '';
  if (force && !['debian', 'venv', 'python'].includes(force))
    return { action: 'error', reason: `EYEMULATOR_TORCH="${force}" is not one of debian, venv, python` };
  const skipped = [];
  if (f.torchDirEnv && !force) {
    if (!f.torchDirValid)
      return { action: 'error', reason: `TORCH_DIR=${f.torchDirEnv} holds no TorchConfig.cmake (give a libtorch root or its share/cmake/Torch)` };
    return { action: 'use', source: 'TORCH_DIR', torchDir: f.torchDirEnv, version: null, reason: 'TORCH_DIR is set' };
  }
  const debian = () => {
    if (f.debianInstalled) return { action: 'use-debian', install: false, reason: `${skipped.join('; ')}; Debian's libtorch-dev is installed` };
    if (f.debianInstallable) return { action: 'use-debian', install: true, reason: `${skipped.join('; ')}; installing Debian's libtorch-dev` };
    return { action: 'error', reason: `${skipped.join('; ')}; and Debian's libtorch-dev is neither installed nor installable (not root?): ` +
      'set TORCH_DIR to a libtorch, or pip-install torch>=2 into .venv, or apt-get install libtorch-dev' };
  };
  if (force === 'debian') { skipped.push('EYEMULATOR_TORCH=debian'); return debian(); }
  if (!force || force === 'python') {
    if (modern(f.pythonTorch)) {
      return { action: 'use', source: 'python', torchDir: join(f.pythonTorch.cmakePrefix, 'Torch'), version: f.pythonTorch.version,
        reason: `python3 on PATH has torch ${f.pythonTorch.version}` };
    }
    if (force === 'python')
      return { action: 'error', reason: 'EYEMULATOR_TORCH=python but the python3 on PATH has no torch >= 2' };
    skipped.push(f.pythonTorch ? `python3's torch ${f.pythonTorch.version} is not >= ${MIN_TORCH_MAJOR} (or is Debian's)` : 'python3 on PATH has no torch');
  }
  if (modern(f.venvTorch)) {
    return { action: 'use', source: 'venv', torchDir: join(f.venvTorch.cmakePrefix, 'Torch'), version: f.venvTorch.version,
      reason: [...skipped, `.venv has torch ${f.venvTorch.version}`].join('; ') };
  }
  const attempt = f.venvInstall ?? 'not-tried';
  if (attempt === 'not-tried') return { action: 'install-venv', reason: `${skipped.join('; ')}; installing torch>=${MIN_TORCH_MAJOR} into .venv with pip` };
  skipped.push(attempt === 'unavailable' ? `no Python venv could be made (${f.venvError || 'python3 -m venv failed'})`
    : `pip could not install torch>=${MIN_TORCH_MAJOR} into .venv (${f.venvError || 'failed'})`);
  if (force === 'venv') return { action: 'error', reason: skipped.join('; ') };
  return debian();
}

// ---------------------------------------------------------------- probing and acting (CLI)

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function probeTorch(python) {
  const r = run(python, ['-c', PROBE_PY], { env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  return r.status === 0 ? parseTorchProbe(r.stdout) : null;
}

function dpkgInstalled(pkg) {
  const r = run('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return r.status === 0 && /install ok installed/.test(r.stdout);
}

function writeAtomic(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

function shq(s) {
  return `'${String(s ?? '').replace(/'/g, `'\\''`)}'`;
}

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

/** Creates <root>/.venv and pip-installs torch>=2 into it; returns {ok, error}. Bounded in time. */
function installVenv(root, python) {
  const venv = join(root, '.venv');
  const vpy = join(venv, 'bin', 'python');
  if (!existsSync(vpy)) {
    const r = run(python, ['-m', 'venv', venv], { timeout: 120_000 });
    if (r.status !== 0) return { ok: false, unavailable: true, error: (r.stderr || r.error?.message || 'python3 -m venv failed').trim().split('\n').pop() };
  }
  const cfg = run(vpy, ['-m', 'pip', 'config', 'list']);
  const indexArgs = pipIndexArgs(cfg.stdout);
  const extra = process.env.EYEMULATOR_TORCH_PIP_ARGS ? process.env.EYEMULATOR_TORCH_PIP_ARGS.split(/\s+/).filter(Boolean) : [];
  const timeoutS = Number(process.env.EYEMULATOR_PIP_TIMEOUT_S ?? 900);
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '--retries', '1', '--timeout', '30',
    ...indexArgs, ...extra, `torch>=${MIN_TORCH_MAJOR}`];
  log(`pip install torch>=${MIN_TORCH_MAJOR} into .venv (${indexArgs.length ? 'local indexes from pip config' : 'pip as configured'}; at most ${timeoutS} s)`);
  const r = spawnSync(vpy, args, { encoding: 'utf8', timeout: timeoutS * 1000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    const why = r.error?.code === 'ETIMEDOUT' ? `timed out after ${timeoutS} s` : (r.stderr || '').trim().split('\n').filter((l) => !/^WARNING/.test(l)).pop() || `exit ${r.status}`;
    return { ok: false, error: why };
  }
  return { ok: true };
}

function main(argv) {
  const rootIdx = argv.indexOf('--root');
  const root = resolve(rootIdx >= 0 ? argv[rootIdx + 1] : join(dirname(fileURLToPath(import.meta.url)), '..'));
  const noInstall = argv.includes('--no-install');
  const python = process.env.EYEMULATOR_PYTHON || 'python3';
  const torchDirEnv = process.env.TORCH_DIR || '';
  const facts = {
    torchDirEnv,
    torchDirValid: !!torchDirEnv && (existsSync(join(torchDirEnv, 'TorchConfig.cmake')) || existsSync(join(torchDirEnv, 'share/cmake/Torch/TorchConfig.cmake'))),
    force: process.env.EYEMULATOR_TORCH || '',
    pythonTorch: probeTorch(python),
    venvTorch: existsSync(join(root, '.venv/bin/python')) ? probeTorch(join(root, '.venv/bin/python')) : null,
    venvInstall: noInstall ? 'failed' : 'not-tried',
    venvError: noInstall ? '--no-install' : undefined,
    debianInstalled: dpkgInstalled('libtorch-dev'),
    debianInstallable: typeof process.getuid === 'function' && process.getuid() === 0 && existsSync('/usr/bin/apt-get'),
  };
  let d = chooseTorch(facts);
  if (d.action === 'install-venv') {
    log(d.reason);
    const r = installVenv(root, python);
    if (r.ok) facts.venvTorch = probeTorch(join(root, '.venv/bin/python'));
    facts.venvInstall = r.ok && facts.venvTorch ? 'ok' : r.unavailable ? 'unavailable' : 'failed';
    facts.venvError = r.ok && !facts.venvTorch ? 'installed, but torch does not import' : r.error;
    d = chooseTorch(facts);
  }
  const out = { ...d, decidedAt: new Date().toISOString(), facts: { ...facts, pythonTorch: facts.pythonTorch?.version ?? null, venvTorch: facts.venvTorch?.version ?? null } };
  if (d.action === 'use-debian') Object.assign(out, { source: 'debian', torchDir: DEBIAN_TORCH_DIR, version: '1.13' });
  if (d.action !== 'error') writeAtomic(join(root, 'build-info', 'torch-choice.json'), JSON.stringify(out, null, 2) + '\n');
  const lines = [
    `TORCH_ACTION=${shq(d.action)}`,
    `TORCH_SOURCE=${shq(out.source ?? '')}`,
    `TORCH_CHOSEN_DIR=${shq(out.torchDir ?? '')}`,
    `TORCH_VERSION_CHOSEN=${shq(out.version ?? '')}`,
    `TORCH_REASON=${shq(d.reason)}`,
    `TORCH_DEBIAN_INSTALL=${d.action === 'use-debian' && d.install ? 1 : 0}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return d.action === 'error' ? 2 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
