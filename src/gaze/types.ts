/**
 * Shared data shapes of the gaze pipeline (METHOD.md §2): raw samples → fixations → token hits →
 * scan paths. Plain objects only, so every stage can be tested with hand-built values.
 */

/** One gaze sample. `t` is in ms since the stimulus onset; x, y in screen pixels. */
export interface GazeSample {
  t: number;
  x: number;
  y: number;
  /** false for tracker-lost samples (0,0 / NaN / missing / validity flags): kept so they can be counted. */
  valid: boolean;
}

/** The samples recorded while one stimulus (one image) was on screen. */
export interface StimulusSamples {
  /**
   * The image file named by the onset message (e.g. `rectangle_java2.jpg`). The second and later
   * showings of the same image in one recording get a `#k` suffix (`instruction_comprehension.jpg#2`)
   * so that a name identifies one continuous showing.
   */
  stimulus: string;
  /** Onset in the recording's own clock, in ms (SMI: the MSG row's Time / 1000). */
  onsetMs: number;
  samples: GazeSample[];
  /** How many of `samples` are invalid. */
  invalid: number;
}

/** Counts a reader reports, so that nothing it drops goes unnoticed. */
export interface ReadCounts {
  /** Data rows read (samples + messages + malformed rows), header lines excluded. */
  rows: number;
  /** Sample rows that belong to a stimulus (valid + invalid). */
  samples: number;
  invalid: number;
  messages: number;
  /** Sample rows before the first stimulus onset (calibration etc.): not part of any stimulus. */
  outsideStimulus: number;
  /** Malformed rows skipped (only with `onMalformed: 'skip'`; otherwise the first one throws). */
  malformed: number;
  /** Samples dropped because they belong to a stimulus other than the one asked for. */
  otherStimulus: number;
}

/** A malformed row that was skipped: where, and why. */
export interface ReadIssue {
  file: string;
  line: number;
  message: string;
}

export interface GazeRecording {
  file: string;
  /** Nominal sample rate in Hz from the file header (null when the format has none). */
  sampleRate: number | null;
  /** Subject id from the header (SMI `## Subject:`), or null. */
  subject: string | null;
  /** Screen geometry from the header, when given (needed only for deg/s thresholds). */
  screen: ScreenGeometry | null;
  stimuli: StimulusSamples[];
  counts: ReadCounts;
  /** The first skipped malformed rows (at most 20 kept; `counts.malformed` has the total). */
  issues: ReadIssue[];
}

/** Physical set-up needed to convert between pixels and degrees of visual angle. */
export interface ScreenGeometry {
  widthPx: number;
  heightPx: number;
  widthMm: number;
  heightMm: number;
  distanceMm: number;
}

export interface Fixation {
  stimulus: string;
  /** ms since stimulus onset: time of the first and of the last sample in the fixation. */
  startMs: number;
  endMs: number;
  /** end − start (METHOD.md §2.1). */
  durationMs: number;
  /** Centroid of the fixation's samples, px. */
  x: number;
  y: number;
  /** Number of valid samples averaged into the centroid (unknown for fixations read back from CSV). */
  samples?: number;
}

/** Counts a fixation detector reports alongside its fixations. */
export interface DetectionCounts {
  samples: number;
  /** Invalid samples dropped before detection. */
  invalid: number;
  fixations: number;
}

/** One token box on a stimulus (an EMIP `sub-line` AOI). */
export interface Aoi {
  /** 0-based index among the token AOIs of the file, in file order: the token id of scan paths. */
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Token text as printed on the stimulus, or null when the AOI file carries none. */
  text: string | null;
  /** 1-based line on the stimulus (from the AOI name `line N part M`, else by vertical order). */
  line: number;
  /** 1-based position on that line. */
  part: number;
  /** The AOI's `name` column (e.g. `line 3 part 2`). */
  name: string;
  /** The `image` column: the stimulus file the AOI claims to belong to. */
  image: string | null;
}

export type SessionMode = 'reading' | 'writing';

/** One scan-path token: every token shown on the stimulus (not only the fixated ones). */
export interface ScanPathToken {
  id: number;
  text: string;
  label: string | null;
  line: number;
}

/** One line of scan-path JSONL: one participant on one stimulus. */
export interface ScanPath {
  participant: string;
  stimulus: string;
  mode: SessionMode;
  tokens: ScanPathToken[];
  /** Token ids in chronological order, consecutive repeats collapsed into one visit. */
  visits: number[];
}
