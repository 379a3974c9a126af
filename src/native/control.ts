/**
 * Stopping and observing one native call (issue 11). The binding's PromiseWorker
 * (binding/convert.h) reads `abortFlag`, an Int32Array over a SharedArrayBuffer that the engine's
 * loops poll (cpp/cancel.h), and calls a listener through a thread-safe function, ending with one
 * argument-less call once everything has been delivered. `controlled` turns an AbortSignal into
 * that flag and that protocol into a promise that settles only after the last event.
 */
import { AbortError } from './errors.ts';

/** What a native call receives from `controlled`. */
export interface NativeControl {
  /** Set to 1 when the signal fires (or the listener throws); undefined when neither can stop the call. */
  abortFlag?: Int32Array;
  /** The listener to hand to the native call (undefined without one: the native side then emits nothing). */
  listener?: (...args: any[]) => void;
}

/**
 * Runs `start(control)` — one native call — under `signal` with `listener`:
 * - a signal already aborted rejects at once with AbortError (nothing starts);
 * - a signal firing while the call runs sets the flag; the engine stops at its next check and the
 *   call rejects with AbortError (mapped from EYEMULATOR_INTERRUPTED in ./errors.ts);
 * - `listener` is called on the JS thread for each native event, all of them before the promise
 *   settles; if it throws, the call is stopped and rejects with that error;
 * - without a signal and a listener this is `start({})`: no flag, no thread-safe function.
 * `what` names the call in the AbortError message ("the training step").
 */
export async function controlled<T>(
  what: string,
  signal: AbortSignal | undefined,
  listener: ((...args: any[]) => void) | undefined,
  start: (control: NativeControl) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new AbortError(`${what} was aborted before it started`, { reason: signal.reason });
  if (!signal && !listener) return start({});
  const abortFlag = new Int32Array(new SharedArrayBuffer(4));
  const stop = () => Atomics.store(abortFlag, 0, 1);
  signal?.addEventListener('abort', stop, { once: true });
  let ended: Promise<void> = Promise.resolve();
  let listenerError: { error: unknown } | undefined;
  let wrapped: ((...args: any[]) => void) | undefined;
  if (listener) {
    let end!: () => void;
    ended = new Promise<void>((r) => (end = r));
    wrapped = (...args: any[]) => {
      if (args.length === 0) return end();
      if (listenerError) return;
      try {
        listener(...args);
      } catch (error) {
        listenerError = { error };
        stop();
      }
    };
  }
  try {
    // A synchronous throw (a refused argument) means nothing was queued: no end call will come.
    const p = start({ abortFlag, listener: wrapped });
    let result: T | undefined;
    let failure: { error: unknown } | undefined;
    try {
      result = await p;
    } catch (error) {
      failure = { error };
    }
    await ended;
    if (listenerError) throw listenerError.error;
    if (failure) {
      const e = failure.error;
      if (e instanceof AbortError && signal) throw new AbortError(e.message, { cause: e.cause, reason: signal.reason });
      throw e;
    }
    return result as T;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
