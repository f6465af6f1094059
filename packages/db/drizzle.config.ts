import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes a new SQL migration into ./drizzle from the schema in src/schema.ts.
// Migrations are committed and applied by `npm run db:migrate` (and by `npm test`, `npm start`).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
  strict: true,
});
