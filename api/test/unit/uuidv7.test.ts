import test from 'ava';
import { uuidv7 } from '../../src/http/uuidv7.js';

test('UUIDv7: version 7, RFC variant, the millisecond timestamp first', (t) => {
  const id = uuidv7(0x0190_c1a0_1234);
  t.regex(id, /^0190c1a0-1234-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('ids are unique and sort by time across a refill of the random pool', (t) => {
  const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
  t.is(new Set(ids).size, ids.length);
  t.deepEqual([...ids].sort(), ids);
});
