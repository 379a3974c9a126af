// torchrun's environment → DistributedOptions: defaults, every malformed variable named, and the
// device a rank trains on. No addon needed.
import test from 'ava';
import { checkDistributed, distributedFromEnv, rankDevice, DEFAULT_TIMEOUT_SECONDS } from '../../src/distributed/options.ts';
import { OptionError } from '../../src/util/errors.ts';

test('no WORLD_SIZE: one process (null)', (t) => {
  t.is(distributedFromEnv({}), null);
});

test('the torchrun variables, with defaults for the optional ones', (t) => {
  t.deepEqual(distributedFromEnv({ WORLD_SIZE: '4', RANK: '3' }), {
    worldSize: 4, rank: 3, localRank: 3, masterAddr: '127.0.0.1', masterPort: 29500, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, rendezvousTimeoutSeconds: undefined, backend: undefined,
  });
  t.deepEqual(distributedFromEnv({ WORLD_SIZE: '8', RANK: '5', LOCAL_RANK: '1', MASTER_ADDR: 'node0', MASTER_PORT: '29400', EYEMULATOR_DIST_TIMEOUT: '30', EYEMULATOR_DIST_RENDEZVOUS_TIMEOUT: '600' }), {
    worldSize: 8, rank: 5, localRank: 1, masterAddr: 'node0', masterPort: 29400, timeoutSeconds: 30, rendezvousTimeoutSeconds: 600, backend: undefined,
  });
});

test('malformed variables are refused by name', (t) => {
  t.throws(() => distributedFromEnv({ WORLD_SIZE: '2' }), { instanceOf: OptionError, message: /RANK is not/ });
  t.throws(() => distributedFromEnv({ WORLD_SIZE: 'two', RANK: '0' }), { instanceOf: OptionError, message: /WORLD_SIZE=two/ });
  t.throws(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '2' }), { instanceOf: OptionError, message: /rank \(RANK\) must be an integer in 0…1, got 2/ });
  t.throws(() => distributedFromEnv({ WORLD_SIZE: '0', RANK: '0' }), { instanceOf: OptionError, message: /worldSize \(WORLD_SIZE\)/ });
  t.throws(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '0', MASTER_PORT: '70000' }), { instanceOf: OptionError, message: /MASTER_PORT\) must be in 1…65535/ });
  t.throws(() => distributedFromEnv({ WORLD_SIZE: '2', RANK: '0', EYEMULATOR_DIST_TIMEOUT: '-1' }), { instanceOf: OptionError, message: /EYEMULATOR_DIST_TIMEOUT=-1/ });
  t.throws(() => checkDistributed({ worldSize: 2, rank: 0, backend: 'mpi' as never }), { instanceOf: OptionError, message: /backend must be auto, gloo or nccl/ });
});

test('device cuda becomes cuda:LOCAL_RANK; cpu and explicit cuda:N stay', (t) => {
  const d = { worldSize: 8, rank: 5, localRank: 1 };
  t.is(rankDevice('cuda', d), 'cuda:1');
  t.is(rankDevice('cuda:3', d), 'cuda:3');
  t.is(rankDevice('cpu', d), 'cpu');
  t.is(rankDevice('cuda', null), 'cuda');
  t.is(rankDevice('cuda', { worldSize: 2, rank: 1 }), 'cuda:1');
});
