/** Runs one SQL statement on a given connection: `(text) => pool.query(text)`, for instance. */
export type SqlText = (text: string) => Promise<{ rows: unknown[] }>;

/**
 * The scans of `relation` (sequential scans of a table, or scans of an index) this connection has
 * made and not yet reported to the statistics views. Read twice in one transaction, the
 * difference is what ran in between; the views alone would also count earlier transactions'.
 */
export async function scansSoFar(run: SqlText, relation: string): Promise<number> {
  if (!/^[a-z_][a-z0-9_]*$/.test(relation)) throw new RangeError(`not a relation name: ${relation}`);
  const { rows } = await run(`select pg_stat_get_xact_numscans('${relation}'::regclass) as n`);
  return Number((rows[0] as { n: string } | undefined)?.n);
}
