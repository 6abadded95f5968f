import type { Row } from './dashboard.js';
import { RUNTIME_METRICS } from './metrics.js';
import { timeseries } from './panels.js';
import { gauge, rate, sumBy } from './promql.js';

/**
 * The USE view of a Node.js service's processes, from prom-client's default metrics. CPU
 * throttling needs the kubelet's cAdvisor metrics, which neither service exports.
 */
export function processRow(service: string): Row {
  return {
    title: 'Process',
    panels: [
      timeseries({
        title: 'CPU usage by instance',
        description: `CPU time each ${service} process uses per second: 100 % is one core. Node.js runs JavaScript on one thread, so an instance near 100 % is saturated whatever its limit.`,
        unit: 'percentunit',
        width: 8,
        queries: [{ expr: sumBy(['instance'], rate(RUNTIME_METRICS.cpuSeconds)), legend: '{{instance}}' }],
      }),
      timeseries({
        title: 'Memory by instance',
        description: `Resident memory of each ${service} process, and the part of the V8 heap in use. A heap that keeps growing across garbage collections is a leak.`,
        unit: 'bytes',
        width: 8,
        queries: [
          {
            expr: `max by (instance) (${gauge(RUNTIME_METRICS.residentMemory)})`,
            legend: 'resident {{instance}}',
          },
          { expr: `max by (instance) (${gauge(RUNTIME_METRICS.heapUsed)})`, legend: 'heap {{instance}}' },
        ],
      }),
      timeseries({
        title: 'Event loop lag p99',
        description: `99th percentile of how late the event loop of each ${service} process runs a timer: every request waits at least this long. Orange from 100 ms, red from 500 ms.`,
        unit: 's',
        width: 8,
        thresholds: [
          { value: null, color: 'green' },
          { value: 0.1, color: 'orange' },
          { value: 0.5, color: 'red' },
        ],
        queries: [
          { expr: `max by (instance) (${gauge(RUNTIME_METRICS.eventLoopLagP99)})`, legend: '{{instance}}' },
        ],
      }),
    ],
  };
}
