import type { ClientHttp2Session, OutgoingHttpHeaders } from 'node:http2';
import { openSession } from '../../api/test/support/http2-client.js';
import type { Measurement, Timing } from '../load.js';
import { streamsPerSession } from './plan.js';
import { type ClosedLoopSamples, summarize } from './summary.js';

export interface Http2Scenario {
  name: string;
  /** http://host:port of an h2c server. */
  origin: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  /** Requests in flight at every moment, as autocannon's connections are. */
  concurrency: number;
  sessions: number;
}

/** One GET on its own stream; resolves with the status once the whole answer has arrived. */
function get(session: ClientHttp2Session, headers: OutgoingHttpHeaders): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: true });
    let status = 0;
    stream.on('response', (received) => {
      status = Number(received[':status']);
    });
    // The body is read and dropped, as autocannon does: parsing it would only load the client.
    stream.resume();
    stream.on('end', () => (status === 0 ? reject(new Error('no answer')) : resolve(status)));
    stream.on('error', reject);
  });
}

/**
 * A closed loop: each of `concurrency` clients sends its next request as soon as its last is
 * answered, until `seconds` have passed; the streams share `sessions` sessions. A client whose
 * session has broken stops, so a broken session counts one error per client, not a storm of them.
 */
async function runClosedLoop(scenario: Http2Scenario, seconds: number): Promise<ClosedLoopSamples> {
  const streams = streamsPerSession(scenario.concurrency, scenario.sessions);
  const sessions = await Promise.all(
    Array.from({ length: scenario.sessions }, () => openSession(scenario.origin)),
  );
  const headers = { ':method': 'GET', ':path': scenario.path, ...scenario.headers };
  const samples: ClosedLoopSamples = { latenciesMs: [], statuses: [], errors: 0, elapsedMs: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async (session: ClientHttp2Session) => {
    while (performance.now() < deadline && !session.closed && !session.destroyed) {
      const sent = performance.now();
      try {
        const status = await get(session, headers);
        samples.latenciesMs.push(performance.now() - sent);
        samples.statuses.push(status);
      } catch {
        samples.errors += 1;
      }
    }
  };
  try {
    await Promise.all(sessions.flatMap((session) => Array.from({ length: streams }, () => client(session))));
  } finally {
    for (const session of sessions) session.close();
  }
  samples.elapsedMs = performance.now() - started;
  return samples;
}

/** Like `measure` for autocannon: a warm-up run, then the measured one. */
export async function measureHttp2(scenario: Http2Scenario, timing: Timing): Promise<Measurement> {
  await runClosedLoop(scenario, timing.warmupSeconds);
  return summarize(scenario.name, scenario.sessions, await runClosedLoop(scenario, timing.durationSeconds));
}
