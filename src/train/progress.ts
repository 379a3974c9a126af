/**
 * Progress of a training run: a live bar (loss, tokens/s, ETA) on a terminal, or one line every
 * `every` steps otherwise (logs, CI, an experiment's child processes, which prefix their lines).
 */
import cliProgress from 'cli-progress';

export interface StepProgress {
  step: number;
  total: number;
  epoch: number;
  loss: number;
  tokensPerS: number;
  /** Seconds left at the current pace. */
  eta: number;
}

export interface ProgressSink {
  start(total: number, done: number): void;
  update(p: StepProgress): void;
  stop(): void;
}

export function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(p: StepProgress): string {
  return `step ${p.step}/${p.total}  epoch ${p.epoch + 1}  loss ${p.loss.toFixed(4)}  ${Math.round(p.tokensPerS)} tok/s  ETA ${formatEta(p.eta)}`;
}

export function lineProgress(write: (line: string) => void, every: number): ProgressSink {
  let total = 0;
  return {
    start: (t) => { total = t; },
    update: (p) => { if (p.step === 1 || p.step % every === 0 || p.step === total) write(progressLine(p)); },
    stop: () => {},
  };
}

export function barProgress(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  const bar = new cliProgress.SingleBar(
    { format: 'train [{bar}] {value}/{total} | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {etaText}', stream, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, done) => bar.start(total, done, { epoch: 1, loss: '-', tps: '-', etaText: '?' }),
    update: (p) => bar.update(p.step, { epoch: p.epoch + 1, loss: p.loss.toFixed(4), tps: Math.round(p.tokensPerS), etaText: formatEta(p.eta) }),
    stop: () => bar.stop(),
  };
}

/** A bar on a terminal, lines elsewhere. */
export function autoProgress(write: (line: string) => void, every: number, stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  return stream.isTTY ? barProgress(stream) : lineProgress(write, every);
}

export const silentProgress: ProgressSink = { start: () => {}, update: () => {}, stop: () => {} };
