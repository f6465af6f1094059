const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Parses an ISO-8601 duration made of weeks, days, hours, minutes and seconds (`P3D`, `PT3S`,
 * `PT1H30M`, `PT0.5S`) into milliseconds. Years and months are refused: their length depends on
 * the calendar. Throws a RangeError naming the text otherwise.
 */
export function parseIsoDuration(text: string): number {
  const match = ISO_DURATION.exec(text.trim());
  if (!match || text.trim() === 'P' || text.trim().endsWith('T')) {
    throw new RangeError(
      `"${text}" is not an ISO-8601 duration of weeks, days, hours, minutes or seconds (like P3D or PT30S)`,
    );
  }
  const [, w, d, h, m, s] = match;
  const ms =
    Number(w ?? 0) * 604_800_000 +
    Number(d ?? 0) * 86_400_000 +
    Number(h ?? 0) * 3_600_000 +
    Number(m ?? 0) * 60_000 +
    Number(s ?? 0) * 1000;
  return Math.round(ms);
}
