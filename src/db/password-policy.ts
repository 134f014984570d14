export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1024;

/** Why a password is refused, in words a user understands; undefined when it is acceptable. */
export function passwordProblem(password: string, userName?: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `the password must have at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `the password must have at most ${PASSWORD_MAX_LENGTH} characters`;
  if (userName && password.toLowerCase().includes(userName.toLowerCase())) return 'the password must not contain the user name';
  if (new Set(password).size < 4) return 'the password must not repeat only a few characters';
  return undefined;
}
