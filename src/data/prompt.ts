/**
 * The one prompt template (METHOD.md §7). Every method in a comparison sees exactly this text; the
 * target follows it and is closed by EOS, which is supervised in every method.
 */
import type { TaskName } from './task-names.ts';

// Re-exported where the prompt code has always offered it; the definition is ./task-names.ts.
export type { TaskName };

export const TASK_SENTENCES: Record<TaskName, string> = {
  translation: 'Translate the following Java code into C#.',
  summarization: 'Summarize the following Java code in one English sentence.',
  completion: 'Complete the following Java code.',
};

/** `### Instruction:\n<task sentence>\n\n### Input Code:\n<code>\n\n### Output:\n` */
export function buildPrompt(task: TaskName, code: string): string {
  return `### Instruction:\n${TASK_SENTENCES[task]}\n\n### Input Code:\n${code}\n\n### Output:\n`;
}

/** Where the input code starts inside the prompt (UTF-16 offset), for aligning code-token spans. */
export function codeOffsetInPrompt(task: TaskName): number {
  return `### Instruction:\n${TASK_SENTENCES[task]}\n\n### Input Code:\n`.length;
}
