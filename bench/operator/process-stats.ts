import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat, 100 on every Linux build in use. */
const CLOCK_TICKS_PER_SECOND = 100;

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** A `kB` field of /proc/<pid>/status, in bytes. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const value = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readProc(pid, 'status') ?? '')?.[1];
  return value === undefined ? undefined : Number(value) * 1024;
}

/** User + system CPU time the process has used, in seconds. */
export function cpuSeconds(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;
  // The fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set size the kernel recorded for the process (VmHWM), in bytes. */
export const peakRss = (pid: number) => statusBytes(pid, 'VmHWM');

/**
 * Samples another process's resident set size from /proc (Linux only; elsewhere every figure is
 * undefined). The kernel's own high-water mark (VmHWM) is the peak; the samples show the curve.
 */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private peak: number | undefined;
  readonly samples: { atMs: number; bytes: number }[] = [];

  constructor(
    private readonly pid: number,
    intervalMs: number,
    private readonly startedAt = performance.now(),
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  /** The highest sampled RSS, in bytes. */
  get sampledPeak(): number | undefined {
    return this.peak;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const bytes = statusBytes(this.pid, 'VmRSS');
    if (bytes === undefined) return;
    this.samples.push({ atMs: Math.round(performance.now() - this.startedAt), bytes });
    this.peak = Math.max(this.peak ?? 0, bytes);
  }
}
