import { type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors';

/**
 * Parses environment variables against a TypeBox object schema once: strings are converted to
 * the schema's types (numbers, booleans), defaults are applied, and every bad or missing variable
 * is named in one ConfigError. The result is frozen. Nothing else in a service reads process.env.
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
      const shown = source[name] === undefined ? 'is not set' : `is ${JSON.stringify(source[name])}`;
      problems.set(name, `${name} ${shown}: ${error.message}`);
    }
    throw new ConfigError([...problems.values()]);
  }
  return Object.freeze(converted);
}
