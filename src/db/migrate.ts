import type { DataSource } from 'typeorm';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

/** Applies every pending migration, each in its own transaction; returns the names applied now. */
export async function migrateUp(dataSource: DataSource): Promise<string[]> {
  const done = await dataSource.runMigrations({ transaction: 'each' });
  return done.map((m) => m.name);
}

/** Reverts the newest `steps` migrations (all of them with Infinity); returns how many were reverted. */
export async function migrateDown(dataSource: DataSource, steps = 1): Promise<number> {
  let reverted = 0;
  while (reverted < steps && (await appliedMigrations(dataSource)).length > 0) {
    await dataSource.undoLastMigration({ transaction: 'each' });
    reverted += 1;
  }
  return reverted;
}

export async function migrationStatus(dataSource: DataSource): Promise<MigrationStatus> {
  const applied = await appliedMigrations(dataSource);
  const known = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  return { applied, pending: known.filter((name) => !applied.includes(name)) };
}

async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const exists = (await dataSource.query(
    'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [table],
  )) as { n: number | string }[];
  if (Number(exists[0]?.n) === 0) return [];
  const rows = (await dataSource.query(`SELECT name FROM \`${table}\` ORDER BY id`)) as { name: string }[];
  return rows.map((r) => r.name);
}
