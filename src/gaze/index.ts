/**
 * Gaze pipeline (METHOD.md §2): raw eye-tracker samples → fixations (I-DT / I-VT) → token boxes
 * (AOIs) → labelled scan paths, plus a scan-path plot. Pure TypeScript, streaming readers.
 */
export type {
  Aoi,
  DetectionCounts,
  Fixation,
  GazeRecording,
  GazeSample,
  ReadCounts,
  ReadIssue,
  ScanPath,
  ScanPathToken,
  ScreenGeometry,
  SessionMode,
  StimulusSamples,
} from './types.ts';
export { readSmi, stimulusOfMessage, type EyeChoice, type SmiReadOptions } from './smi.ts';
export { readSampleCsv, type CsvSampleReadOptions } from './csv-samples.ts';
export type { MalformedPolicy, SampleReadOptions } from './recording-builder.ts';
export { detectIdt, type IdtOptions, type DetectionResult } from './idt.ts';
export { detectIvt, type IvtOptions } from './ivt.ts';
export { detectFixations, DEFAULT_DETECT, type DetectOptions, type FixationAlgorithm } from './detect.ts';
export { validRuns, DEFAULT_MAX_GAP_MS } from './runs.ts';
export { pixelsPerDegree, degPerSecToPxPerMs, parseGeometry } from './screen-geometry.ts';
export { formatFixationsCsv, readFixationsCsv, FIXATION_COLUMNS } from './fixations-csv.ts';
export { readAois, readingOrder, stimulusOfAoiFile, assignLinesByPosition, implausibleBoxes, type AoiFile } from './aois.ts';
export { hitTest, insideBox, mapFixations, type FixationHits } from './hit-test.ts';
export {
  alignAoisToCode,
  displayUnits,
  lcsPairs,
  synthesiseAoiText,
  type Alignment,
  type AlignmentStats,
  type AoiAlignment,
  type LabelledToken,
} from './align.ts';
export { buildScanPath, collapseRepeats, formatScanPathLine, readScanPaths, scanPathTokens, type ScanPathInput, type ScanPathResult } from './scanpath.ts';
export { renderScanPathSvg, fixationRadius, labelColour, type PlotInput } from './plot.ts';
export { imageInfo, type ImageInfo } from './image-size.ts';
export { participantFromPath } from './participant.ts';
export { formatAlignmentStats, formatReadCounts, percent } from './report.ts';
export { scanPathForStimulus, type StimulusScanPath, type StimulusScanPathInput } from './pipeline.ts';
export { splitCsvLine, csvField } from './csv-line.ts';
