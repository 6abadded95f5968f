import test from 'ava';
import { protocolOf } from '../../src/shared-cleartext-port.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

test('the whole HTTP/2 preface is h2c, whatever follows it', (t) => {
  t.is(protocolOf(Buffer.from(PREFACE)), 'h2c');
  t.is(protocolOf(Buffer.concat([Buffer.from(PREFACE), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])])), 'h2c');
});

test('a part of the preface could still be either', (t) => {
  t.is(protocolOf(Buffer.alloc(0)), undefined);
  for (const length of [1, 3, 16, PREFACE.length - 1]) {
    t.is(protocolOf(Buffer.from(PREFACE.slice(0, length))), undefined, `${length} bytes`);
  }
});

test('the first byte that differs makes it HTTP/1.1', (t) => {
  t.is(protocolOf(Buffer.from('G')), 'http1');
  t.is(protocolOf(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
  t.is(protocolOf(Buffer.from('PRI / HTTP/1.1\r\n')), 'http1');
  t.is(protocolOf(Buffer.from(`${PREFACE.slice(0, 20)}XX`)), 'http1');
});
