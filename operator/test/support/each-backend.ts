import test, { type ExecutionContext } from 'ava';
import { BACKENDS, type Backend } from './operator-harness.js';

/** Registers one test per backend, titled with the backend, so each behaviour is proven on both. */
export function onEachBackend(
  title: string,
  run: (t: ExecutionContext, backend: Backend) => Promise<void>,
): void {
  for (const backend of BACKENDS) test(`[${backend}] ${title}`, (t) => run(t, backend));
}
