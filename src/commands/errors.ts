/** Exit codes from sysexits.h, so scripts can tell a typo from an outage. */
export const enum ExitCode {
  Failure = 1,
  Usage = 64,
  DataError = 65,
  NoInput = 66,
  Unavailable = 69,
  Software = 70,
  TempFail = 75,
  Config = 78,
}

/** An error a command reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failure,
  ) {
    super(message);
  }
}
