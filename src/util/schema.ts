/** zod validation with the project's error shape: an InputError naming the file and the first bad field. */
import type { z } from 'zod';
import { InputError } from './errors.ts';

export function parseWith<S extends z.ZodType>(schema: S, obj: unknown, file: string): z.output<S> {
  const r = schema.safeParse(obj);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`field ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`, { file });
  }
  return r.data;
}
