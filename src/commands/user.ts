import type { Command } from 'commander';
import { IdentityRepository, passwordProblem, type UserSummary } from '../db/index.js';
import { withDatabase, readStdin } from './context.js';
import { CliError, ExitCode } from './errors.js';
import { printTable } from './table.js';

export function register(program: Command): void {
  const user = program.command('user').description('portal users (Guacamole users with an EarCandle account)');

  user
    .command('add')
    .description('create a user; without --password-stdin the account has no password until one is set')
    .argument('<name>', 'user name (at most 128 characters, case-insensitive)')
    .option('--admin', "make the user an administrator (Guacamole's system permission ADMINISTER)")
    .option('--email <address>', 'e-mail address')
    .option('--password-stdin', 'read the password from standard input')
    .option('--guacamole-password', 'also let the stock Guacamole web app accept this password (salted SHA-256)')
    .action(async (name: string, opts: { admin?: boolean; email?: string; passwordStdin?: boolean; guacamolePassword?: boolean }, command: Command) => {
      if (opts.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(opts.email)) {
        throw new CliError(`--email: "${opts.email}" is not an e-mail address`, ExitCode.Usage);
      }
      const password = opts.passwordStdin ? await readStdin('password') : undefined;
      if (password !== undefined) {
        const problem = passwordProblem(password, name);
        if (problem) throw new CliError(problem, ExitCode.DataError);
      }
      await withDatabase(command, async (db) => {
        const created = await new IdentityRepository(db).createUser({
          name,
          password,
          email: opts.email,
          admin: opts.admin ?? false,
          mirrorPasswordToGuacamole: opts.guacamolePassword ?? false,
        });
        console.log(`created user ${created.name}${created.admin ? ' (admin)' : ''}${password === undefined ? ', no password set' : ''}`);
      });
    });

  user
    .command('list')
    .description('list users')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const users = await new IdentityRepository(db).listUsers();
        if (opts.json) console.log(JSON.stringify(users, null, 2));
        else printUsers(users);
      });
    });

  user
    .command('disable')
    .description('disable a user: no portal login, no Guacamole login, no new console')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await new IdentityRepository(db).setUserDisabled(name, true);
        console.log(`disabled user ${name}`);
      });
    });

  user
    .command('enable')
    .description('enable a disabled user again')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await new IdentityRepository(db).setUserDisabled(name, false);
        console.log(`enabled user ${name}`);
      });
    });
}

function printUsers(users: UserSummary[]): void {
  const rows = users.map((u) => [u.name, u.state, u.admin ? 'admin' : '', u.email ?? '', u.lastLoginAt ? u.lastLoginAt.toISOString() : 'never']);
  printTable(['NAME', 'STATE', 'ROLE', 'E-MAIL', 'LAST LOGIN'], rows);
}
