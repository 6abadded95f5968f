import type { Machine } from '../journeys/machine.js';

/** The machine the report tests pretend to have measured on. */
export const TEST_MACHINE: Machine = {
  cpu: 'Test CPU',
  cores: 2,
  memoryGiB: 24,
  kernel: 'Linux 6.1',
  node: 'v20.20.2',
  postgres: '15.20',
  redis: '7.0.15',
};
