/** Exit codes scripts can rely on (also listed in the README). */
export const EXIT = {
  ok: 0,
  /** Something went wrong: the message says what. */
  error: 1,
  /** Bad command line or parameter. */
  usage: 2,
  /** The run finished, but some images failed and were recorded as such. */
  partial: 3,
  /** Interrupted (Ctrl-C); a re-run resumes. */
  interrupted: 130,
} as const;
