/** The value of an environment variable a peer cannot run without; throws naming it. */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string, who: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`${who}: ${name} is not set`);
  return value;
}
