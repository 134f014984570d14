import type { QueryRunner } from 'typeorm';

/**
 * Runs CREATE TABLE statements in order. MySQL commits each DDL statement on its own, so a failure half-way
 * would leave some tables behind; instead the tables this call created are dropped again before the error
 * propagates, and the database is as it was.
 */
export async function createAll(queryRunner: QueryRunner, statements: readonly string[], tables: readonly string[]): Promise<void> {
  let created = 0;
  try {
    for (const statement of statements) {
      await queryRunner.query(statement);
      created += 1;
    }
  } catch (err) {
    for (const table of tables.slice(0, created).reverse()) {
      await queryRunner.query(`DROP TABLE IF EXISTS \`${table}\``);
    }
    throw err;
  }
}
