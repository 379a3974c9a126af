/**
 * Fuzz worker: a long-lived child of run.ts that runs one CLI invocation per message in-process
 * (harness.ts) and answers with its ending. A native crash, a JavaScript heap overflow or a hang
 * ends or stalls this process, which the parent sees and classifies (signal / memory / timeout);
 * it then starts a fresh worker, so every case still gets process-level isolation for those.
 */
import { runCli } from './harness.ts';

let current: number | null = null;

// An error thrown after the command returned (a stream callback, a timer) would be an uncaught
// exception printed with its stack by Node: report it against the case that caused it.
for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(ev, (err: unknown) => {
    const e = err as Error;
    process.send?.({ id: current, ending: 'stack-trace', status: 1, message: `uncaught ${e?.constructor?.name}: ${String(e?.message ?? err).split('\n')[0]}`, ms: 0 }, () => process.exit(70));
  });
}

process.on('message', async (m: { id: number; argv: string[] }) => {
  current = m.id;
  const r = await runCli(m.argv);
  process.send?.({ id: m.id, ending: r.ending, status: r.status, message: r.message, errorClass: r.errorClass, ms: r.ms });
  current = null;
});
process.send?.({ ready: true });
