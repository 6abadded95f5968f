import type { FieldMessages } from '../errors.js';

/** JSend envelopes (https://github.com/omniti-labs/jsend) plus a stable `code` and the request id. */
export interface SuccessBody<T> {
  status: 'success';
  data: T;
}

export interface FailBody {
  status: 'fail';
  code: string;
  message: string;
  data: FieldMessages;
  requestId: string;
}

export interface ErrorBody {
  status: 'error';
  code: string;
  message: string;
  requestId: string;
}

export const success = <T>(data: T): SuccessBody<T> => ({ status: 'success', data });

export const fail = (code: string, message: string, fields: FieldMessages, requestId: string): FailBody => ({
  status: 'fail',
  code,
  message,
  data: fields,
  requestId,
});

export const error = (code: string, message: string, requestId: string): ErrorBody => ({
  status: 'error',
  code,
  message,
  requestId,
});
