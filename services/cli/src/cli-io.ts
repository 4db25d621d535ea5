/**
 * What a command may do besides returning its output: report progress while it runs. `main.ts` sends
 * progress to stderr so stdout stays the command's result; tests collect it or drop it.
 */
export interface CliIo {
  /** One line of progress (no trailing newline). */
  progress(line: string): void;
}

/** An io that drops progress: the default for programmatic and test calls. */
export const silentIo: CliIo = { progress: () => undefined };
