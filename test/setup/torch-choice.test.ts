// The set-up's libtorch decision (scripts/torch-choice.mjs), from facts only: no network, no pip.
import test from 'ava';
// @ts-expect-error — a plain .mjs script without type declarations
import { chooseTorch, parseTorchProbe, parseTorchVersion, pipIndexArgs } from '../../scripts/torch-choice.mjs';

const modernVenv = { version: '2.13.0+cpu', cmakePrefix: '/repo/.venv/lib/python3.11/site-packages/torch/share/cmake', cxx11Abi: true };
const debianPy = { version: '1.13.1', cmakePrefix: '/usr/lib/x86_64-linux-gnu/cmake', cxx11Abi: true };

test('TORCH_DIR wins over everything when it holds a TorchConfig.cmake', (t) => {
  const d = chooseTorch({ torchDirEnv: '/opt/libtorch', torchDirValid: true, pythonTorch: modernVenv, venvTorch: modernVenv, debianInstalled: true });
  t.is(d.action, 'use');
  t.is(d.source, 'TORCH_DIR');
  t.is(d.torchDir, '/opt/libtorch');
});

test('an invalid TORCH_DIR is an error naming it, not a silent fallback', (t) => {
  const d = chooseTorch({ torchDirEnv: '/nope', torchDirValid: false, debianInstalled: true });
  t.is(d.action, 'error');
  t.regex(d.reason, /TORCH_DIR=\/nope/);
});

test('a Python torch >= 2 on PATH comes before the venv', (t) => {
  const d = chooseTorch({ pythonTorch: { ...modernVenv, cmakePrefix: '/usr/local/lib/python3.11/site-packages/torch/share/cmake' }, venvTorch: modernVenv });
  t.is(d.source, 'python');
  t.is(d.torchDir, '/usr/local/lib/python3.11/site-packages/torch/share/cmake/Torch');
});

test("Debian's python3-torch 1.13 is not a modern torch: the venv is installed next", (t) => {
  const d = chooseTorch({ pythonTorch: debianPy, venvTorch: null, debianInstalled: true });
  t.is(d.action, 'install-venv');
  t.regex(d.reason, /1\.13\.1 is not >= 2/);
});

test('an existing venv with torch >= 2 is used without reinstalling', (t) => {
  const d = chooseTorch({ pythonTorch: null, venvTorch: modernVenv });
  t.is(d.action, 'use');
  t.is(d.source, 'venv');
  t.is(d.version, '2.13.0+cpu');
});

test('a venv with an old torch is not used (pip is asked for torch >= 2)', (t) => {
  const d = chooseTorch({ pythonTorch: null, venvTorch: { ...modernVenv, version: '1.12.0' } });
  t.is(d.action, 'install-venv');
});

test('a failed venv install falls back to Debian, installed or installable, with the reasons', (t) => {
  const a = chooseTorch({ pythonTorch: null, venvInstall: 'failed', venvError: 'timed out after 900 s', debianInstalled: true });
  t.is(a.action, 'use-debian');
  t.false(a.install);
  t.regex(a.reason, /timed out after 900 s/);
  const b = chooseTorch({ pythonTorch: null, venvInstall: 'unavailable', debianInstalled: false, debianInstallable: true });
  t.is(b.action, 'use-debian');
  t.true(b.install);
  const c = chooseTorch({ pythonTorch: null, venvInstall: 'failed', debianInstalled: false, debianInstallable: false });
  t.is(c.action, 'error');
  t.regex(c.reason, /TORCH_DIR/);
});

test('EYEMULATOR_TORCH forces a source, and an unusable forced source is an error', (t) => {
  t.is(chooseTorch({ force: 'debian', pythonTorch: modernVenv, venvTorch: modernVenv, debianInstalled: true }).action, 'use-debian');
  t.is(chooseTorch({ force: 'venv', pythonTorch: modernVenv, venvTorch: modernVenv }).source, 'venv');
  t.is(chooseTorch({ force: 'venv', venvInstall: 'failed', debianInstalled: true }).action, 'error');
  t.is(chooseTorch({ force: 'python', pythonTorch: null }).action, 'error');
  t.is(chooseTorch({ force: 'cuda' }).action, 'error');
  // TORCH_DIR does not override an explicit force.
  t.is(chooseTorch({ force: 'debian', torchDirEnv: '/opt/libtorch', torchDirValid: true, debianInstalled: true }).action, 'use-debian');
});

test('pip config with local file:// indexes becomes the only indexes, find-links kept', (t) => {
  const listing = [
    ":env:.default-timeout='180'",
    ":env:.find-links='/opt/wheels'",
    "global.constraint='/etc/xdg/pip/constraints.txt'",
    "global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'",
    "global.find-links='/opt/wheels'",
  ].join('\n');
  t.deepEqual(pipIndexArgs(listing), [
    '--index-url', 'file:///opt/pypi/simple', '--extra-index-url', 'file:///opt/pypi-more/simple', '--find-links', '/opt/wheels',
  ]);
});

test('pip config without local indexes leaves pip as the user configured it', (t) => {
  t.deepEqual(pipIndexArgs(''), []);
  t.deepEqual(pipIndexArgs("global.index-url='https://mirror.example/simple'"), []);
});

test('torch probe and version parsing', (t) => {
  t.deepEqual(parseTorchVersion('2.13.0+cpu'), { major: 2, minor: 13 });
  t.is(parseTorchVersion('garbage'), null);
  t.deepEqual(parseTorchProbe('2.13.0+cpu\n/x/torch/share/cmake\n1\n'), { version: '2.13.0+cpu', cmakePrefix: '/x/torch/share/cmake', cxx11Abi: true });
  t.is(parseTorchProbe('Traceback (most recent call last):'), null);
  t.is(parseTorchProbe(''), null);
});
