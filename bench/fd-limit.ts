import { readFile } from 'node:fs/promises';

// Node raises its own soft RLIMIT_NOFILE to the hard limit at start-up (in the bench and in each
// server child), so no `ulimit` or root is needed: only the hard limit can cap the connection count.
const RESERVED_DESCRIPTORS = 128;

/** How many connections each process can hold, or undefined where the limit is not readable (non-Linux). */
export async function maxConnections(): Promise<number | undefined> {
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const hard = /^Max open files\s+\S+\s+(\d+)/m.exec(limits)?.[1];
  return hard === undefined ? undefined : Number(hard) - RESERVED_DESCRIPTORS;
}
