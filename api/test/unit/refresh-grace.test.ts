import test from 'ava';
import { judgeReplay, type ReplayFacts } from '../../src/domain/tokens/refresh-grace.js';

const rotatedAt = new Date('2026-12-01T12:00:00Z');
const laptop = { userAgent: 'laptop browser', ip: '203.0.113.7' };
const racing: ReplayFacts<string> = {
  rotatedAt,
  now: new Date(rotatedAt.getTime() + 1_000),
  windowSeconds: 3,
  successorUsed: false,
  sealed: { pair: 'the successor pair', client: laptop },
  presentedBy: laptop,
};

test('the client that rotated the token, racing itself within the window, gets the same pair', (t) => {
  t.deepEqual(judgeReplay(racing), { kind: 'grace', pair: 'the successor pair' });
  t.is(
    judgeReplay({ ...racing, now: new Date(rotatedAt.getTime() + 2_999) }).kind,
    'grace',
    'the last instant',
  );
});

test('anything else is reuse, with the reason', (t) => {
  const reasonOf = (facts: Partial<ReplayFacts<string>>) => {
    const verdict = judgeReplay({ ...racing, ...facts });
    return verdict.kind === 'reuse' ? verdict.reason : verdict.kind;
  };
  t.is(reasonOf({ now: new Date(rotatedAt.getTime() + 3_000) }), 'outside_window');
  t.is(reasonOf({ successorUsed: true }), 'successor_used');
  t.is(reasonOf({ sealed: undefined }), 'successor_unavailable');
  t.is(reasonOf({ presentedBy: { ...laptop, userAgent: 'curl/8.5.0' } }), 'other_client');
  t.is(reasonOf({ presentedBy: { ...laptop, ip: '198.51.100.23' } }), 'other_client');
  t.is(reasonOf({ presentedBy: { ...laptop, userAgent: null } }), 'other_client');
  t.is(reasonOf({ windowSeconds: 0, now: rotatedAt }), 'outside_window', 'a window of 0s is no grace at all');
});
