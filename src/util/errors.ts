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

/** What each filesystem error code means to a user, and what to do about it. */
const FS_CAUSES: Record<string, [string, string]> = {
  ENOSPC: ['no space left on the device', 'free some space or choose another location'],
  EDQUOT: ['disk quota exceeded', 'free some space or choose another location'],
  EFBIG: ['file too large for this file system', 'choose another location'],
  EACCES: ['permission denied', 'check the permissions or choose another location'],
  EPERM: ['operation not permitted', 'check the permissions or choose another location'],
  EROFS: ['read-only file system', 'choose a writable location'],
  EISDIR: ['is a folder, a file was expected', 'give a file path'],
  ENOTDIR: ['a file stands where a folder is expected', 'check the path'],
  ENOENT: ['no such file or folder', 'check the path (a folder it names may not exist)'],
  EEXIST: ['already exists', 'remove it or choose another location'],
  ENOTEMPTY: ['folder not empty', 'remove it or choose another location'],
  ENAMETOOLONG: ['file name too long', 'choose a shorter path'],
  ELOOP: ['too many symbolic links', 'check the path'],
  EMFILE: ['too many open files', 'raise the open-file limit (ulimit -n)'],
  ENFILE: ['too many open files in the system', 'close other programs or raise the limit'],
  EIO: ['input/output error', 'check the disk'],
  EXDEV: ['crosses file systems', 'keep the file and its folder on one file system'],
  EBUSY: ['resource busy', 'try again when the file is no longer in use'],
};

/** A Node.js system error from the file system (`code` like 'ENOSPC', optional `syscall`/`path`). */
export function isErrnoError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!)
    && typeof (e as NodeJS.ErrnoException).errno === 'number';
}

/**
 * A filesystem operation failed: names the path, what was being done (`op`: "write", "create
 * folder", "read", ...) and the cause by its errno code (ENOSPC, EACCES, EROFS, EISDIR, ENOTDIR,
 * ENOENT, ...) with what to do. `errno` is that code ('ENOSPC'), stable for programs.
 * Example message: `out/eval.json: cannot write: no space left on the device (ENOSPC); free some
 * space or choose another location`.
 */
export class FileSystemError extends EyemulatorError {
  readonly path: string;
  readonly op: string;
  readonly errno: string;
  constructor(op: string, path: string, cause: unknown) {
    const code = isErrnoError(cause) ? cause.code : 'EUNKNOWN';
    const known = FS_CAUSES[code];
    const why = known ? `${known[0]} (${code}); ${known[1]}` : `${(cause as Error)?.message ?? String(cause)}`;
    super('EYEMULATOR_FS', `${path}: cannot ${op}: ${why}`, { cause });
    this.path = path;
    this.op = op;
    this.errno = code;
  }

  /**
   * Wraps a raw Node.js filesystem error (`err.syscall`, `err.path`) that escaped without one;
   * `null` when `err` is not such an error.
   */
  static fromErrno(err: unknown): FileSystemError | null {
    if (err instanceof FileSystemError) return err;
    if (!isErrnoError(err) || typeof err.path !== 'string') return null;
    const ops: Record<string, string> = {
      open: 'open', write: 'write', read: 'read', mkdir: 'create folder', rename: 'rename', unlink: 'remove', rmdir: 'remove',
      rm: 'remove', copyfile: 'copy', scandir: 'list folder', stat: 'read', lstat: 'read', fsync: 'write', close: 'write',
    };
    const op = ops[err.syscall ?? ''] ?? (err.syscall ? `${err.syscall}` : 'access');
    const dest = (err as { dest?: unknown }).dest;
    const path = err.syscall === 'copyfile' && typeof dest === 'string' ? `${err.path} to ${dest}` : err.path;
    return new FileSystemError(op, path, err);
  }
}
