/**
 * Ctrl-C for long commands: the first SIGINT aborts the returned signal (the work saves what
 * resuming needs and exits with code 130); a second one exits at once.
 */
export function interruptSignal(what: string): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onInt = () => {
    if (ac.signal.aborted) {
      process.stderr.write('\nsecond Ctrl-C: exiting without saving\n');
      process.exit(130);
    }
    process.stderr.write(`\nCtrl-C: stopping ${what} and saving (press again to quit at once)\n`);
    ac.abort();
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onInt);
  return { signal: ac.signal, dispose: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onInt); } };
}
