import { GuacamoleSchema1763700000000 } from './1763700000000-guacamole-schema.js';
import { EarCandleSchema1763700000001 } from './1763700000001-earcandle-schema.js';
import { SyncVmConfig1763700000400 } from './1763700000400-sync-vm-config.js';
import { SshHostKey1763700000700 } from './1763700000700-ssh-host-key.js';

/** Every migration, oldest first. */
export const migrations = [GuacamoleSchema1763700000000, EarCandleSchema1763700000001, SyncVmConfig1763700000400, SshHostKey1763700000700];
export { GUACAMOLE_TABLES } from './1763700000000-guacamole-schema.js';
export { EARCANDLE_TABLES } from './1763700000001-earcandle-schema.js';
