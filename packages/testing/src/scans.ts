/** Runs one SQL statement on a given connection: `(text) => pool.query(text)`, for instance. */
export type SqlText = (text: string) => Promise<{ rows: unknown[] }>;

/** A relation's name, checked before it goes into the SQL text. */
function checkedName(relation: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(relation)) throw new RangeError(`not a relation name: ${relation}`);
}

/**
 * The scans of `relation` (sequential scans of a table, or scans of an index) this connection has
 * made and not yet reported to the statistics views. Read twice in one transaction, the
 * difference is what ran in between; the views alone would also count earlier transactions'.
 */
export async function scansSoFar(run: SqlText, relation: string): Promise<number> {
  checkedName(relation);
  const { rows } = await run(`select pg_stat_get_xact_numscans('${relation}'::regclass) as n`);
  return Number((rows[0] as { n: string } | undefined)?.n);
}

/** What `indexesSoFar` counts of each index: the scans of it, or the index entries they returned. */
export type IndexCount = 'numscans' | 'tuples_returned';

/**
 * `count` for every index of `table`, by index name, this connection has made and not yet
 * reported: read twice in one transaction, the difference is what ran in between.
 */
export async function indexesSoFar(run: SqlText, table: string, count: IndexCount): Promise<Map<string, number>> {
  checkedName(table);
  const { rows } = await run(
    `select c.relname as name, pg_stat_get_xact_${count}(c.oid) as n from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = '${table}'::regclass`,
  );
  return new Map((rows as { name: string; n: string }[]).map((r) => [r.name, Number(r.n)]));
}
