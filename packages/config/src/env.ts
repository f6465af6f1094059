import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors';

/**
 * A variable whose value is a secret or carries one (a password inside a URL): an error about it
 * says that it is wrong and how, never what it is.
 */
export function secretField<T extends TSchema>(schema: T): T {
  return { ...schema, secret: true };
}

/**
 * PostgreSQL's connection URL: required, never defaulted (it carries the password), never
 * printed.
 */
export function databaseUrlField() {
  return secretField(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'set it to the PostgreSQL connection, postgres://user:password@host:5432/database; there is no default',
    }),
  );
}

/**
 * Parses environment variables against a TypeBox object schema once: strings are converted to
 * the schema's types (numbers, booleans), defaults are applied, and every bad or missing variable
 * is named in one ConfigError: a missing one with its schema's `description` when it has one, a
 * secret one (`secretField`) without its value. The result is frozen. Nothing else in a service
 * reads process.env.
 */
export function loadEnv<T extends TProperties>(
  schema: TObject<T>,
  source: NodeJS.ProcessEnv = process.env,
): Readonly<Static<TObject<T>>> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(schema, raw);
  const converted = Value.Convert(schema, withDefaults);
  const check = TypeCompiler.Compile(schema);
  if (!check.Check(converted)) {
    const problems = new Map<string, string>();
    for (const error of check.Errors(converted)) {
      const name = error.path.replace(/^\//, '') || '(environment)';
      if (problems.has(name)) continue;
      const field: TSchema | undefined = schema.properties[name];
      if (source[name] === undefined || source[name] === '') {
        problems.set(name, `${name} is not set: ${field?.description ?? error.message}`);
      } else {
        problems.set(name, `${name} ${field?.secret === true ? 'is set' : `is ${JSON.stringify(source[name])}`}: ${error.message}`);
      }
    }
    throw new ConfigError([...problems.values()]);
  }
  return Object.freeze(converted);
}
