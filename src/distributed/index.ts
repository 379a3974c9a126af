/** Data-parallel training: torchrun-style options, the local launcher, and the worker entry (worker.ts). */
export { DEFAULT_TIMEOUT_SECONDS, checkDistributed, distributedAvailable, distributedFromEnv, rankDevice, type DistributedOptions } from './options.ts';
export { DistributedLaunchError, freePort, launchLocal, workerEntry, type LaunchOptions } from './launch.ts';
export { DistributedError } from '../native/errors.ts';
