/** Where a command writes: stdout for results, stderr for progress and diagnostics. */
export interface CliContext {
  /** Writes results (text as given, newlines included). */
  readonly stdout: (text: string) => void;
  /** Writes progress and diagnostics. */
  readonly stderr: (text: string) => void;
  /** Redraw progress in place (a terminal). */
  readonly tty: boolean;
  /** Registers a handler for Ctrl-C (SIGINT); returns a function that unregisters it. */
  readonly onInterrupt: (handler: () => void) => () => void;
}

/** The real process: stdout/stderr streams and SIGINT. */
export function processContext(): CliContext {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    tty: !!process.stderr.isTTY,
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => void process.off('SIGINT', handler);
    },
  };
}
