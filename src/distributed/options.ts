/**
 * Data-parallel training options, as torchrun spells them. A run with `distributed` set is one of
 * `worldSize` processes ("ranks"): each holds the whole model, computes its share of every global
 * batch, and the engine (cpp/distributed.h, libtorch's c10d: Gloo on CPU, NCCL on CUDA) makes the
 * loss normalisation and the gradients global, so W processes × batch B update exactly like one
 * process × batch W·B (up to float summation order).
 */
import { native } from '../native/index.ts';
import { OptionError } from '../util/errors.ts';

/** Default rendezvous and per-collective timeout (seconds): a dead or stuck peer fails within it. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

export interface DistributedOptions {
  /** WORLD_SIZE: processes in the job (≥ 1). */
  worldSize: number;
  /** RANK: this process, 0 … worldSize−1. Rank 0 alone writes the run folder. */
  rank: number;
  /** LOCAL_RANK: this process on its node; with device `cuda` it picks `cuda:LOCAL_RANK`. Default = rank. */
  localRank?: number;
  /** MASTER_ADDR: host of rank 0's TCPStore (default 127.0.0.1). */
  masterAddr?: string;
  /** MASTER_PORT (default 29500). */
  masterPort?: number;
  /** Every collective, seconds (default DEFAULT_TIMEOUT_SECONDS); also the rendezvous's unless set below. */
  timeoutSeconds?: number;
  /** Seconds to wait for every rank to join (EYEMULATOR_DIST_RENDEZVOUS_TIMEOUT; default: timeoutSeconds). */
  rendezvousTimeoutSeconds?: number;
  /** 'auto' (default: NCCL for CUDA when the addon has it, else Gloo), 'gloo' or 'nccl'. */
  backend?: 'auto' | 'gloo' | 'nccl';
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`${name}=${v}: expected a non-negative integer`);
  return n;
}

/**
 * The torchrun environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, and
 * EYEMULATOR_DIST_TIMEOUT in seconds) as options, or null when WORLD_SIZE is unset. Throws
 * OptionError naming the variable when one is malformed or RANK is missing.
 */
export function distributedFromEnv(env: NodeJS.ProcessEnv = process.env): DistributedOptions | null {
  const worldSize = envInt(env, 'WORLD_SIZE');
  if (worldSize === undefined) return null;
  const rank = envInt(env, 'RANK');
  if (rank === undefined) throw new OptionError('WORLD_SIZE is set but RANK is not (set both, as torchrun does)');
  const secs = (name: string): number | undefined => {
    const t = env[name];
    if (t === undefined || t === '') return undefined;
    if (!(Number(t) > 0)) throw new OptionError(`${name}=${t}: expected seconds > 0`);
    return Number(t);
  };
  const timeoutSeconds = secs('EYEMULATOR_DIST_TIMEOUT');
  const rendezvousTimeoutSeconds = secs('EYEMULATOR_DIST_RENDEZVOUS_TIMEOUT');
  return checkDistributed({
    worldSize, rank, localRank: envInt(env, 'LOCAL_RANK'), masterAddr: env.MASTER_ADDR || undefined,
    masterPort: envInt(env, 'MASTER_PORT'), timeoutSeconds, rendezvousTimeoutSeconds,
  });
}

/** Validates ranges; returns the options with defaults filled in. */
export function checkDistributed(d: DistributedOptions): Required<Omit<DistributedOptions, 'backend' | 'rendezvousTimeoutSeconds'>> & Pick<DistributedOptions, 'backend' | 'rendezvousTimeoutSeconds'> {
  if (!Number.isInteger(d.worldSize) || d.worldSize < 1) throw new OptionError(`distributed worldSize (WORLD_SIZE) must be a positive integer, got ${d.worldSize}`);
  if (!Number.isInteger(d.rank) || d.rank < 0 || d.rank >= d.worldSize) throw new OptionError(`distributed rank (RANK) must be an integer in 0…${d.worldSize - 1}, got ${d.rank}`);
  const port = d.masterPort ?? 29500;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OptionError(`distributed masterPort (MASTER_PORT) must be in 1…65535, got ${port}`);
  const timeoutSeconds = d.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0)) throw new OptionError(`distributed timeoutSeconds must be positive, got ${timeoutSeconds}`);
  if (d.backend !== undefined && !['auto', 'gloo', 'nccl'].includes(d.backend)) throw new OptionError(`distributed backend must be auto, gloo or nccl, got ${d.backend}`);
  const localRank = d.localRank ?? d.rank;
  if (!Number.isInteger(localRank) || localRank < 0) throw new OptionError(`distributed localRank (LOCAL_RANK) must be a non-negative integer, got ${localRank}`);
  if (d.rendezvousTimeoutSeconds !== undefined && !(d.rendezvousTimeoutSeconds > 0)) throw new OptionError(`distributed rendezvousTimeoutSeconds must be positive, got ${d.rendezvousTimeoutSeconds}`);
  return { worldSize: d.worldSize, rank: d.rank, localRank, masterAddr: d.masterAddr ?? '127.0.0.1', masterPort: port, timeoutSeconds, rendezvousTimeoutSeconds: d.rendezvousTimeoutSeconds, backend: d.backend };
}

/** The device a rank trains on: `cuda` becomes `cuda:LOCAL_RANK`; an explicit `cuda:N` or `cpu` stays. */
export function rankDevice(device: string | undefined, d: DistributedOptions | null): string | undefined {
  if (!d || device !== 'cuda') return device;
  return `cuda:${d.localRank ?? d.rank}`;
}

/** Whether the loaded addon has c10d data-parallel training (built with the gloo headers). */
export function distributedAvailable(): { available: boolean; backends: string[] } {
  return native().distributedInfo();
}
