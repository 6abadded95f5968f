const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Parses the duration notation Kubernetes users already write ("15m", "720h", "10s", "7d", or
 * concatenations such as "1h30m") into whole seconds. Returns undefined for anything else, so the
 * caller can name the offending setting.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+[smhd])+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) {
    total += Number(amount) * (UNIT_SECONDS[unit as string] as number);
  }
  return total;
}
