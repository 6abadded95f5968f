import { Writable } from 'node:stream';

/** A pino log line as the API writes it in JSON. */
export interface LogLine {
  level: number;
  msg: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields a line carries.
  [field: string]: any;
}

/** A log destination for `startApi` that keeps every line the API writes, raw, for the test to read. */
export function collectLogLines(): { destination: Writable; lines: string[]; parsed(): LogLine[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { destination, lines, parsed: () => lines.map((line) => JSON.parse(line) as LogLine) };
}
