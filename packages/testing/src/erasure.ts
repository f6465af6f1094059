/** Runs one parameterised SQL statement: a pg Pool's `query`, for instance. */
export type SqlQuery = (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>;

/**
 * The three strings `text` shows as inside base64 (which consumer_outbox uses for binary Kafka
 * values), one for each offset modulo 3 at which it may start: the characters that depend on its
 * bytes alone.
 */
export function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text);
  return [0, 1, 2].map((lead) => {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64');
    const whole = Math.floor((lead + bytes.length) / 3) * 4;
    return encoded.slice([0, 2, 3][lead], whole);
  });
}

/**
 * The tables of the public schema with a row that holds `text`, in any case, as written or inside
 * base64: each row read whole as its text (`t::text`), every column and JSON value included. For
 * checking that nothing keeps what was erased.
 */
export async function tablesHolding(query: SqlQuery, text: string): Promise<string[]> {
  const { rows } = await query(
    `select table_name as name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    [],
  );
  const needles = [text.toLowerCase(), ...base64Forms(text)];
  const holding: string[] = [];
  for (const { name } of rows as { name: string }[]) {
    const table = `"${name.replaceAll('"', '""')}"`;
    const found = await query(
      `select 1 from ${table} t
       where strpos(lower(t::text), $1) > 0 or strpos(t::text, $2) > 0 or strpos(t::text, $3) > 0 or strpos(t::text, $4) > 0
       limit 1`,
      needles,
    );
    if (found.rows.length > 0) holding.push(name);
  }
  return holding;
}
