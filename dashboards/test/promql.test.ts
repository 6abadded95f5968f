import test from 'ava';
import { gauge, orZero, quantile, rate, ratio, select } from '../src/promql.js';

test('a selector is scoped to the namespace and job variables, extra matchers after them', (t) => {
  t.is(
    select('http_requests_total', ['status=~"5.."']),
    'http_requests_total{namespace=~"$namespace", job=~"$job", status=~"5.."}',
  );
});

test('a metric with a namespace label of its own is scoped by job only', (t) => {
  t.is(gauge('skeletonapp_hpa_max_replicas'), 'skeletonapp_hpa_max_replicas{job=~"$job"}');
});

test('rates use the rate interval unless given a window', (t) => {
  t.is(
    rate('workqueue_adds_total'),
    'rate(workqueue_adds_total{namespace=~"$namespace", job=~"$job"}[$__rate_interval])',
  );
  t.regex(rate('workqueue_adds_total', [], '1h'), /\[1h\]\)$/);
});

test('a quantile sums the buckets by le and the given labels', (t) => {
  t.regex(
    quantile(0.9, 'workqueue_work_duration_seconds', ['name']),
    /^histogram_quantile\(0\.9, sum by \(le, name\) \(rate\(workqueue_work_duration_seconds_bucket\{/,
  );
});

test('a ratio whose part has no series counts the part as 0', (t) => {
  t.is(orZero('a', 'b'), 'a or b * 0');
  t.is(ratio('a', 'b'), '(a or b * 0) / b');
});

test('only catalog metrics of the right type compile', (t) => {
  // @ts-expect-error: no catalog has this name, so a renamed metric breaks the build.
  t.truthy(gauge('http_request_total'));
  // @ts-expect-error: a histogram is not a counter; rate() over its buckets goes through quantile().
  t.truthy(rate('http_request_duration_seconds'));
  // @ts-expect-error: a gauge is not a histogram.
  t.truthy(quantile(0.5, 'workqueue_depth'));
});
