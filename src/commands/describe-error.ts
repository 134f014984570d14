/** One line that says what went wrong, without a stack trace and without secrets. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const text = err.message || code || err.name;
    return text.split('\n')[0] as string;
  }
  return String(err);
}
