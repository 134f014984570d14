import assert from 'node:assert/strict';
import { runCli } from '../../helpers/cli.js';

/** Every command and sub-command answers --help with a usage text and exit 0. */
function commandsIn(help: string): string[] {
  const section = /^Commands:\n((?: {2}.*\n?)*)/m.exec(help)?.[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1] as string).filter((c) => c !== 'help');
}

describe('earcandle --help', function () {
  this.timeout(120_000);

  it('is offered by the root command and every sub-command', async () => {
    const root = await runCli(['--help']);
    assert.equal(root.code, 0, root.stderr);
    const commands = commandsIn(root.stdout);
    assert.ok(commands.includes('migrate') && commands.includes('user') && commands.includes('cluster'), root.stdout);
    const checkHelp = async (path: string[]): Promise<string[][]> => {
      const help = await runCli([...path, '--help']);
      assert.equal(help.code, 0, `${path.join(' ')}: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`^Usage: earcandle ${path.join(' ')}`, 'm'));
      return commandsIn(help.stdout).map((sub) => [...path, sub]);
    };
    let level = commands.map((c) => [c]);
    let checked = 0;
    while (level.length > 0) {
      const next: string[][] = [];
      for (let i = 0; i < level.length; i += 4) {
        for (const children of await Promise.all(level.slice(i, i + 4).map(checkHelp))) next.push(...children);
      }
      checked += level.length;
      level = next;
    }
    assert.ok(checked > commands.length, 'sub-commands were checked too');
  });
});
