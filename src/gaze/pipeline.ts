/**
 * Fixations + AOI file + labelled code → one scan path: the step the CLI's `gaze scanpaths` and
 * the EMIP script share. Picks the stimulus's fixations, aligns boxes to code, hit-tests, collapses.
 */
import { OptionError } from '../util/errors.ts';
import { alignAoisToCode, type Alignment, type LabelledToken } from './align.ts';
import { stimulusOfAoiFile, type AoiFile } from './aois.ts';
import { buildScanPath, type ScanPathResult } from './scanpath.ts';
import type { Fixation, SessionMode } from './types.ts';

export interface StimulusScanPathInput {
  participant: string;
  mode: SessionMode;
  aoiFile: AoiFile;
  /** Labelled tokens of the program on the stimulus; null = no labels. */
  code: readonly LabelledToken[] | null;
  /** Fixations of the participant, any stimuli (filtered here). */
  fixations: readonly Fixation[];
  /** Stimulus name to take fixations of; default: from the AOI file (stimulusOfAoiFile). */
  stimulus?: string;
  marginPx?: number;
}

export interface StimulusScanPath extends ScanPathResult {
  stimulus: string;
  alignment: Alignment | null;
}

export function scanPathForStimulus(input: StimulusScanPathInput): StimulusScanPath {
  const stimulus = input.stimulus ?? stimulusOfAoiFile(input.aoiFile);
  if (stimulus === null) throw new OptionError(`cannot tell which stimulus ${input.aoiFile.file} describes: give --stimulus`);
  const fixations = input.fixations.filter((f) => f.stimulus === stimulus);
  if (fixations.length === 0) {
    const seen = [...new Set(input.fixations.map((f) => f.stimulus))];
    throw new OptionError(`no fixations on stimulus "${stimulus}" (fixations are on: ${seen.join(', ') || 'nothing'}); give --stimulus`);
  }
  const alignment = input.code ? alignAoisToCode(input.aoiFile.aois, input.code) : null;
  const result = buildScanPath({
    participant: input.participant,
    stimulus,
    mode: input.mode,
    aois: input.aoiFile.aois,
    alignment,
    fixations,
    marginPx: input.marginPx,
  });
  return { ...result, stimulus, alignment };
}
