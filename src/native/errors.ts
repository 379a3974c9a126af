/**
 * Typed errors for native failures. The engine throws JS Errors carrying a stable `code`
 * (cpp/errors.h); this maps each code onto a class, keeping the message (which names the file,
 * tensor or field) intact.
 */
import { EyemulatorError, InterruptedError } from '../util/errors.ts';

/** A malformed or truncated safetensors file (the message names file and tensor). */
export class SafetensorsError extends EyemulatorError {}
/** config.json missing, invalid, or an unsupported architecture. */
export class ConfigError extends EyemulatorError {}
/** A checkpoint that does not match its config (missing tensor, wrong shape) or cannot be written. */
export class CheckpointError extends EyemulatorError {}
/** A batch with wrong shapes, ids outside the vocabulary, bad weights. */
export class BatchError extends EyemulatorError {}
/** A bad argument or option to an engine call. */
export class EngineArgumentError extends EyemulatorError {}
/** A call on a disposed or empty object. */
export class EngineStateError extends EyemulatorError {}
/**
 * Data-parallel training failed: the rendezvous, a collective (a peer died, raised or exceeded the
 * timeout), or a build without c10d/Gloo. The message names this rank and what to check.
 */
export class DistributedError extends EyemulatorError {}
/**
 * A synchronous call (Model.info, getParameter, setParameter, addLora, the `lora` getter,
 * setAdaptersEnabled, new Trainer) made while another call on the same model runs (a step, a
 * generation, forward, load, save): refused at once (code EYEMULATOR_BUSY) instead of blocking the
 * event loop until that call ends. Await the running call's promise, then call again.
 */
export class EngineBusyError extends EyemulatorError {}
/**
 * A long call stopped by its AbortSignal (a training step, generation, load, save, adapter load or
 * save). It is an InterruptedError (code EYEMULATOR_INTERRUPTED, "work stopped by the user") named
 * 'AbortError' like the DOM's, so `instanceof InterruptedError` and `err.name === 'AbortError'` both
 * hold. The object the call ran on is left as it was before the call (see each call's docs);
 * `reason` is the signal's reason, `cause` the native error when the engine stopped.
 */
export class AbortError extends InterruptedError {
  readonly reason: unknown;
  constructor(message: string, options: { cause?: unknown; reason?: unknown } = {}) {
    super(message);
    this.reason = options.reason;
    if (options.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
  }
}
/** Anything else from libtorch (e.g. out of memory). */
export class EngineError extends EyemulatorError {}

const BY_CODE: Record<string, new (code: string, message: string, o?: { cause?: unknown }) => EyemulatorError> = {
  EYEMULATOR_SAFETENSORS: SafetensorsError,
  EYEMULATOR_CONFIG: ConfigError,
  EYEMULATOR_CHECKPOINT: CheckpointError,
  EYEMULATOR_BATCH: BatchError,
  EYEMULATOR_ARGUMENT: EngineArgumentError,
  EYEMULATOR_STATE: EngineStateError,
  EYEMULATOR_DISTRIBUTED: DistributedError,
  EYEMULATOR_BUSY: EngineBusyError,
};

export function wrapNativeError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof EyemulatorError) return e;
  const code = (e as Error & { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('EYEMULATOR_')) return e;
  if (code === 'EYEMULATOR_INTERRUPTED') return new AbortError(e.message, { cause: e });
  const C = BY_CODE[code] ?? EngineError;
  return new C(code, e.message, { cause: e });
}
