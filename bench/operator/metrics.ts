/** One scrape of a Prometheus text endpoint: each series (`name{labels}`) and its value. */
export type Scrape = Map<string, number>;

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const series: Scrape = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const split = line.lastIndexOf(' ');
    series.set(line.slice(0, split), Number(line.slice(split + 1)));
  }
  return series;
}

/** The sum of every series of `name` whose labels contain `labels` (e.g. `result="success"`). */
export function total(scrape: Scrape, name: string, labels = ''): number {
  let sum = 0;
  for (const [series, value] of scrape) {
    const [seriesName] = series.split('{');
    if (seriesName === name && series.includes(labels)) sum += value;
  }
  return sum;
}

/** What a counter (or a histogram's _sum and _count) grew by between two scrapes. */
export const grew = (before: Scrape, after: Scrape, name: string, labels = '') =>
  total(after, name, labels) - total(before, name, labels);
