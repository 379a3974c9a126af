/**
 * Typed errors. Every user-facing failure is one of these: it names the file (and line or field)
 * and says what to do. `code` is stable for programs; `message` is for people.
 */
export class EyemulatorError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A malformed input file: the message carries `file:line` (or `file` and the field). */
export class InputError extends EyemulatorError {
  readonly file?: string;
  readonly line?: number;
  constructor(message: string, where: { file?: string; line?: number } = {}, options?: { cause?: unknown }) {
    const at = where.file ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    super('EYEMULATOR_INPUT', at + message, options);
    this.file = where.file;
    this.line = where.line;
  }
}

/** A bad option value given by the user (CLI flag or API option). */
export class OptionError extends EyemulatorError {
  constructor(message: string) {
    super('EYEMULATOR_OPTION', message);
  }
}

/** Work stopped by the user (Ctrl-C / an AbortSignal) after saving what resuming needs. */
export class InterruptedError extends EyemulatorError {
  constructor(message: string) {
    super('EYEMULATOR_INTERRUPTED', message);
  }
}
