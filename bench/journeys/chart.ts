/** One line of the chart: a latency figure at each concurrency level. */
export interface Series {
  label: string;
  colour: string;
  dashed?: boolean;
  points: Array<{ users: number; ms: number }>;
}

const WIDTH = 720;
const HEIGHT = 420;
const PLOT = { left: 70, right: 190, top: 40, bottom: 60 };
const plotWidth = WIDTH - PLOT.left - PLOT.right;
const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Powers of ten from below the smallest value to above the largest: a log axis's gridlines. */
function decades(values: number[]): number[] {
  const positive = values.filter((value) => value > 0);
  const low = Math.floor(Math.log10(Math.min(...positive)));
  const high = Math.ceil(Math.log10(Math.max(...positive)));
  return Array.from({ length: Math.max(1, high - low) + 1 }, (_, index) => 10 ** (low + index));
}

const formatMs = (ms: number) => (ms >= 1 ? `${ms} ms` : `${ms.toFixed(Math.round(-Math.log10(ms)))} ms`);

/**
 * Latency against concurrent users as a standalone SVG: a log latency axis, because the bare
 * baseline answers in a fraction of a millisecond and the API in tens of them, and both must show.
 */
export function renderLatencyChart(title: string, series: Series[], targetMs: number): string {
  const users = [...new Set(series.flatMap((line) => line.points.map((point) => point.users)))].sort(
    (a, b) => a - b,
  );
  const gridlines = decades([...series.flatMap((line) => line.points.map((point) => point.ms)), targetMs]);
  const [lowest, highest] = [gridlines[0] as number, gridlines[gridlines.length - 1] as number];
  const maxUsers = Math.max(...users);
  const x = (count: number) => PLOT.left + (count / maxUsers) * plotWidth;
  const y = (ms: number) =>
    PLOT.top +
    plotHeight -
    ((Math.log10(Math.max(ms, lowest)) - Math.log10(lowest)) / (Math.log10(highest) - Math.log10(lowest))) *
      plotHeight;
  const round = (value: number) => Math.round(value * 10) / 10;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (const ms of gridlines) {
    parts.push(
      `<line x1="${PLOT.left}" y1="${round(y(ms))}" x2="${PLOT.left + plotWidth}" y2="${round(y(ms))}" stroke="#ddd"/>`,
      `<text x="${PLOT.left - 6}" y="${round(y(ms)) + 4}" text-anchor="end">${formatMs(ms)}</text>`,
    );
  }
  for (const count of users) {
    parts.push(
      `<line x1="${round(x(count))}" y1="${PLOT.top + plotHeight}" x2="${round(x(count))}" y2="${PLOT.top + plotHeight + 5}" stroke="#333"/>`,
      `<text x="${round(x(count))}" y="${PLOT.top + plotHeight + 20}" text-anchor="middle">${count}</text>`,
    );
  }
  parts.push(
    `<line x1="${PLOT.left}" y1="${PLOT.top + plotHeight}" x2="${PLOT.left + plotWidth}" y2="${PLOT.top + plotHeight}" stroke="#333"/>`,
    `<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.top + plotHeight}" stroke="#333"/>`,
    `<text x="${PLOT.left + plotWidth / 2}" y="${HEIGHT - 18}" text-anchor="middle">concurrent users</text>`,
    `<text transform="translate(16 ${PLOT.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">latency (log scale)</text>`,
    `<line x1="${PLOT.left}" y1="${round(y(targetMs))}" x2="${PLOT.left + plotWidth}" y2="${round(y(targetMs))}" stroke="#c00" stroke-dasharray="6 4"/>`,
  );
  const legend = [
    ...series,
    { label: `target p95 < ${targetMs} ms`, colour: '#c00', dashed: true, points: [] },
  ];
  legend.forEach((line, index) => {
    const legendY = PLOT.top + 10 + index * 20;
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<line x1="${WIDTH - PLOT.right + 15}" y1="${legendY}" x2="${WIDTH - PLOT.right + 40}" y2="${legendY}" stroke="${line.colour}" stroke-width="2"${dash}/>`,
      `<text x="${WIDTH - PLOT.right + 46}" y="${legendY + 4}">${escapeXml(line.label)}</text>`,
    );
  });
  for (const line of series) {
    const points = [...line.points].sort((a, b) => a.users - b.users);
    const dash = line.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<polyline fill="none" stroke="${line.colour}" stroke-width="2"${dash} points="${points.map((point) => `${round(x(point.users))},${round(y(point.ms))}`).join(' ')}"/>`,
      ...points.map(
        (point) =>
          `<circle cx="${round(x(point.users))}" cy="${round(y(point.ms))}" r="3" fill="${line.colour}"/>`,
      ),
    );
  }
  parts.push('</svg>', '');
  return parts.join('\n');
}
