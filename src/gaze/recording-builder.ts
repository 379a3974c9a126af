/**
 * Collects samples into per-stimulus segments while a reader streams a file. Shared by the SMI and
 * the generic CSV readers so that both name repeated showings, filter by stimulus and count
 * drops the same way.
 */
import { InputError } from '../util/errors.ts';
import type { GazeRecording, ReadCounts, ReadIssue, ScreenGeometry, StimulusSamples } from './types.ts';

export type MalformedPolicy = 'error' | 'skip';

export interface SampleReadOptions {
  /**
   * Keep only this stimulus: an image name (`rectangle_java2.jpg`, every showing of it) or one
   * showing (`instruction_comprehension.jpg#2`). Samples of other stimuli are counted, not kept.
   */
  stimulus?: string;
  /** 'error' (default): the first malformed row throws InputError(file:line). 'skip': count it and go on. */
  onMalformed?: MalformedPolicy;
}

const MAX_ISSUES = 20;

export class RecordingBuilder {
  readonly counts: ReadCounts = { rows: 0, samples: 0, invalid: 0, messages: 0, outsideStimulus: 0, malformed: 0, otherStimulus: 0 };
  readonly issues: ReadIssue[] = [];
  readonly stimuli: StimulusSamples[] = [];
  private current: StimulusSamples | null = null;
  /** true while the current stimulus is one the caller filtered out. */
  private currentSkipped = false;
  private readonly seen = new Map<string, number>();

  constructor(
    readonly file: string,
    private readonly options: SampleReadOptions,
  ) {}

  /** A malformed row: throw (default) or record and count it. */
  malformed(lineNo: number, message: string): void {
    if ((this.options.onMalformed ?? 'error') === 'error') throw new InputError(message, { file: this.file, line: lineNo });
    this.counts.malformed++;
    if (this.issues.length < MAX_ISSUES) this.issues.push({ file: this.file, line: lineNo, message });
  }

  /** Starts a new showing of `image` at `onsetMs` (recording clock). */
  startStimulus(image: string, onsetMs: number): void {
    const k = (this.seen.get(image) ?? 0) + 1;
    this.seen.set(image, k);
    const name = k === 1 ? image : `${image}#${k}`;
    const wanted = this.options.stimulus;
    this.currentSkipped = wanted !== undefined && wanted !== image && wanted !== name;
    this.current = { stimulus: name, onsetMs, samples: [], invalid: 0 };
    if (!this.currentSkipped) this.stimuli.push(this.current);
  }

  /** Adds one sample (t in ms since onset). Samples before any onset are counted as outside. */
  addSample(t: number, x: number, y: number, valid: boolean): void {
    if (this.current === null) {
      this.counts.outsideStimulus++;
      return;
    }
    if (this.currentSkipped) {
      this.counts.otherStimulus++;
      return;
    }
    this.counts.samples++;
    if (!valid) {
      this.counts.invalid++;
      this.current.invalid++;
    }
    this.current.samples.push({ t, x, y, valid });
  }

  finish(sampleRate: number | null, subject: string | null, screen: ScreenGeometry | null): GazeRecording {
    return { file: this.file, sampleRate, subject, screen, stimuli: this.stimuli, counts: this.counts, issues: this.issues };
  }
}

/**
 * Parses a coordinate field: a finite number, or null for "missing" (empty, NaN, '-', '.'), which
 * makes the sample invalid. Anything else is malformed (undefined).
 */
export function parseCoordinate(field: string | undefined): number | null | undefined {
  if (field === undefined) return null;
  const s = field.trim();
  if (s === '' || s === '-' || s === '.' || /^nan$/i.test(s) || /^n\/a$/i.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** 0,0 is how SMI and most trackers write "no gaze": such a point is invalid, not a glance at the corner. */
export function isValidPoint(x: number | null | undefined, y: number | null | undefined): boolean {
  return typeof x === 'number' && typeof y === 'number' && !(x === 0 && y === 0);
}
