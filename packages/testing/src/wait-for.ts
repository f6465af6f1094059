/** Options of waitFor. */
export interface WaitForOptions {
  /** Give up after this long; default 15 s. */
  timeoutMs?: number;
  /** Pause between tries; default 100 ms. */
  intervalMs?: number;
  /** Named in the error when it times out. */
  description?: string;
}

/**
 * Calls `probe` until it returns something other than undefined/false, and returns that. Throws
 * after `timeoutMs` with the description and the last error the probe threw.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.description ?? 'a condition'}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
