import type { Command } from 'commander';
import { register as registerMigrate } from './migrate.js';
import { register as registerUser } from './user.js';
import { register as registerGroup } from './group.js';
import { register as registerCluster } from './cluster.js';
import { register as registerGuacd } from './guacd.js';
import { register as registerPveSim } from './pve-sim.js';
import { register as registerServe } from './serve.js';
import { register as registerSync } from './sync.js';
import { register as registerDemo } from './demo.js';

/** Adds every `earcandle` sub-command; each lives in its own module. */
export function registerCommands(program: Command): void {
  registerMigrate(program);
  registerUser(program);
  registerGroup(program);
  registerCluster(program);
  registerGuacd(program);
  registerPveSim(program);
  registerServe(program);
  registerSync(program);
  registerDemo(program);
}
