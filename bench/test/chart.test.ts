import test from 'ava';
import { renderLatencyChart, type Series } from '../journeys/chart.js';

const series: Series[] = [
  {
    label: 'API p95 <fast & slow>',
    colour: '#ff7f0e',
    points: [
      { users: 1000, ms: 1000 },
      { users: 100, ms: 10 },
      { users: 500, ms: 100 },
    ],
  },
  { label: 'bare p95', colour: '#7f7f7f', dashed: true, points: [{ users: 100, ms: 0.5 }] },
];

const pointsOf = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map(([, x, y]) => ({
    x: Number(x),
    y: Number(y),
  }));

test('one line per series, a point per level, and the target as its own dashed line', (t) => {
  const svg = renderLatencyChart('Latency', series, 200);
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.true(svg.trimEnd().endsWith('</svg>'));
  t.is(svg.match(/<polyline /g)?.length, 2);
  t.is(pointsOf(svg).length, 4);
  t.regex(svg, /target p95 &lt; 200 ms/);
  t.regex(svg, /API p95 &lt;fast &amp; slow&gt;/);
  t.notRegex(svg, /NaN|undefined/);
});

test('latency is on a log axis: each tenfold rise climbs the same height, and more users lie further right', (t) => {
  const [tenMs, hundredMs, thousandMs] = pointsOf(renderLatencyChart('Latency', series, 200));
  if (!tenMs || !hundredMs || !thousandMs) return t.fail('three points expected');
  t.true(tenMs.x < hundredMs.x && hundredMs.x < thousandMs.x);
  t.true(tenMs.y > hundredMs.y && hundredMs.y > thousandMs.y);
  t.true(Math.abs(tenMs.y - hundredMs.y - (hundredMs.y - thousandMs.y)) < 0.2);
});

test('gridlines span every value, sub-millisecond ones included', (t) => {
  const svg = renderLatencyChart('Latency', series, 200);
  for (const label of ['0.1 ms', '1 ms', '10 ms', '100 ms', '1000 ms'])
    t.true(svg.includes(`>${label}</text>`), label);
});
