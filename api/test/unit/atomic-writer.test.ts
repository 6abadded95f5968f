import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { writeProjectedVolume } from '../support/atomic-writer.js';

const volume = async () => mkdtemp(join(tmpdir(), 'skeleton-volume-'));

test('the payload sits in a timestamped directory behind ..data, each name a symlink into it', async (t) => {
  const dir = await volume();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeProjectedVolume(dir, { 'keys.json': 'one', 'nested/file.txt': 'deep' });

  const timestamped = await readlink(join(dir, '..data'));
  t.regex(timestamped, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
  t.is(await readlink(join(dir, 'keys.json')), join('..data', 'keys.json'));
  t.is(await readlink(join(dir, 'nested')), join('..data', 'nested'));
  t.is(await readFile(join(dir, 'keys.json'), 'utf8'), 'one');
  t.is(await readFile(join(dir, 'nested', 'file.txt'), 'utf8'), 'deep');
  t.is(((await lstat(join(dir, timestamped, 'keys.json'))).mode & 0o777).toString(8), '644');
  t.deepEqual((await readdir(dir)).sort(), ['..data', timestamped, 'keys.json', 'nested'].sort());
});

test('a second write swaps ..data, keeps the file symlink, and removes the old directory and dropped names', async (t) => {
  const dir = await volume();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeProjectedVolume(dir, { 'keys.json': 'one', 'old.txt': 'gone soon' });
  const first = await readlink(join(dir, '..data'));
  const fileLink = await lstat(join(dir, 'keys.json'));

  await writeProjectedVolume(dir, { 'keys.json': 'two' });
  const second = await readlink(join(dir, '..data'));
  t.not(second, first);
  t.is(await readFile(join(dir, 'keys.json'), 'utf8'), 'two');
  t.is(
    (await lstat(join(dir, 'keys.json'))).ino,
    fileLink.ino,
    'the visible symlink itself is never replaced',
  );
  t.deepEqual(
    (await readdir(dir)).sort(),
    ['..data', second, 'keys.json'].sort(),
    'no ..data_tmp, no old dir',
  );
});

test('paths the kubelet refuses are refused', async (t) => {
  const dir = await volume();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const path of ['', '/etc/passwd', '..data', 'a/../b'])
    await t.throwsAsync(writeProjectedVolume(dir, { [path]: 'x' }), { message: /invalid projected path/ });
});
