/**
 * An error a task adapter raises with a code of its own (a bad evaluation set, an input it cannot feed).
 * Anything else thrown while preparing is taken as the runtime failing to load the model.
 */
export class TaskError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "TaskError";
    this.code = code;
  }
}

export function isTaskError(e: unknown): e is TaskError {
  return e instanceof TaskError;
}
