import { fieldInvalid, fieldRequired, type StatusCause } from './status-errors.js';

interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  conditions?: { type: string; status: string }[];
}

/**
 * What kube-apiserver (v1.31 and later) demands of a finished Job's status, as a v1.36 server words
 * it: a Complete Job has its completionTime and a SuccessCriteriaMet condition before it, a Failed
 * one a FailureTarget condition; a finished Job has a startTime and no active pods.
 */
export function jobStatusCauses(status: JobStatus | undefined): StatusCause[] {
  const holds = (type: string) =>
    (status?.conditions ?? []).some((condition) => condition.type === type && condition.status === 'True');
  const complete = holds('Complete');
  const failed = holds('Failed');
  if (!complete && !failed) return [];
  const causes: StatusCause[] = [];
  if (complete && !status?.completionTime)
    causes.push(fieldRequired('status.completionTime', 'completionTime is required for Complete jobs'));
  const withoutBefore = (type: string, before: string) => {
    const cause = fieldInvalid('status.conditions', null, '');
    return {
      ...cause,
      message: `Invalid value: cannot set ${type}=True condition without the ${before}=true condition`,
    };
  };
  if (complete && !holds('SuccessCriteriaMet')) causes.push(withoutBefore('Complete', 'SuccessCriteriaMet'));
  if (failed && !holds('FailureTarget')) causes.push(withoutBefore('Failed', 'FailureTarget'));
  if ((status?.active ?? 0) > 0)
    causes.push(fieldInvalid('status.active', status?.active, 'active>0 is invalid for finished job'));
  if (!status?.startTime)
    causes.push(fieldRequired('status.startTime', 'startTime is required for finished job'));
  return causes;
}
