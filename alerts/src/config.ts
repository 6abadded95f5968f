/**
 * Everything about the Prometheus these rules run in that the rules cannot know, in one place
 * (the `_config` of a monitoring mixin): change these and run `npm run generate -w alerts`.
 */

/**
 * The `job` label of the API's and the operator's scrape targets. With the Prometheus Operator
 * the job is the scraped Service's name unless the ServiceMonitor sets `jobLabel`; a
 * ServiceMonitor with `jobLabel: app.kubernetes.io/name` gives every SkeletonApp's API the job
 * `skeleton-api`, and the operator's metrics Service needs the same label set to
 * `skeleton-operator`.
 */
export const API_JOB = 'skeleton-api';
export const OPERATOR_JOB = 'skeleton-operator';

/**
 * The labels that tell one SkeletonApp's API from another's: the Prometheus Operator puts the
 * namespace and the name of the scraped Service on every target, and the Service is named after
 * the app. API alerts are per app, so these survive every aggregation.
 */
export const API_APP_LABELS = ['job', 'namespace', 'service'] as const;

/**
 * The operator's SkeletonApp metrics name the app in labels of their own, and every replica
 * exports them from its caches: queries take the max over replicas by these. Their `namespace` is
 * the app's, so the operator's scrape must keep it (`honorLabels: true`, as for
 * kube-state-metrics) instead of renaming it to `exported_namespace`.
 */
export const SKELETON_APP_LABELS = ['namespace', 'skeletonapp'] as const;

/** Each alert's `runbook_url` is this followed by `<AlertName>.md` (the file in `runbooks/`). */
export const RUNBOOK_BASE_URL = 'https://github.com/skeleton-dev/skeleton/blob/main/runbooks/';

/**
 * Routes that are not user traffic: probes and scrapes. Readiness answers 503 while the database
 * is away, which the database alert reports; counted as errors it would also burn the budget.
 */
export const NOT_USER_TRAFFIC = 'route!~"/health/.*|/metrics"';
