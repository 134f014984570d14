import type { Command } from 'commander';
import { IdentityRepository } from '../db/index.js';
import { withDatabase } from './context.js';
import { printTable } from './table.js';

export function register(program: Command): void {
  const group = program.command('group').description('user groups (Guacamole user groups)');

  group
    .command('add')
    .description('create a group')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await new IdentityRepository(db).createGroup(name);
        console.log(`created group ${name}`);
      });
    });

  group
    .command('list')
    .description('list groups and their members')
    .action(async (_opts: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        const groups = await new IdentityRepository(db).listGroups();
        printTable(['GROUP', 'MEMBERS'], groups.map((g) => [g.name, g.members.join(', ')]));
      });
    });

  const member = group.command('member').description('group membership');
  member
    .command('add')
    .description('add a user to a group')
    .argument('<group>')
    .argument('<user>')
    .action(async (groupName: string, userName: string, _opts: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await new IdentityRepository(db).addGroupMember(groupName, userName);
        console.log(`added ${userName} to ${groupName}`);
      });
    });
  member
    .command('remove')
    .description('remove a user from a group')
    .argument('<group>')
    .argument('<user>')
    .action(async (groupName: string, userName: string, _opts: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await new IdentityRepository(db).removeGroupMember(groupName, userName);
        console.log(`removed ${userName} from ${groupName}`);
      });
    });
}
