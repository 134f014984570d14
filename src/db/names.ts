/** Why a name cannot be stored in a Guacamole table (utf8mb3, 128 characters, PAD SPACE collation). */
export function guacamoleNameProblem(name: string, max = 128): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if ([...name].length > max) return `must be at most ${max} characters`;
  if (name !== name.trim()) return 'must not start or end with spaces';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  if (/[\u{10000}-\u{10FFFF}]/u.test(name)) return 'must not contain characters outside the Basic Multilingual Plane (emoji)';
  return undefined;
}

export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
}

export function assertGuacamoleName(kind: string, name: string, max = 128): void {
  const problem = guacamoleNameProblem(name, max);
  if (problem) throw new InvalidNameError(`${kind} name "${name}" ${problem}`);
}
