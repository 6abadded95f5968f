/** Per-field messages, keyed by the request field at fault (dotted path for nested fields). */
export type FieldMessages = Record<string, string>;

/** Whom a failure concerns, such as the session a reused token ended: for the audit line, never the answer. */
export interface FailureSubject {
  userId?: string;
  sessionId?: string;
  /** Why, when the code alone does not say (which kind of refresh-token reuse). */
  reason?: string;
}

/**
 * A failure the domain can name. `code` is a stable slug clients may branch on; `status` is the
 * HTTP status the error mapper answers with. Anything that is not a DomainError is a bug and is
 * answered with a generic 500.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly fields?: FieldMessages,
    /** Response headers the answer needs, such as Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** Set by `concerning`. */
  subject?: FailureSubject;
}

/** The error, marked with whom it concerns. */
export const concerning = (error: DomainError, subject: FailureSubject): DomainError =>
  Object.assign(error, { subject });

export const validationFailed = (fields: FieldMessages) =>
  new DomainError('validation.failed', 400, 'The request is invalid.', fields);

/** The field is not known where the database refused the text: the body as a whole is named. */
export const unstorableText = () => validationFailed({ body: 'holds a character that cannot be stored' });

export const malformedJson = () =>
  new DomainError('request.malformed_json', 400, 'The body is not valid JSON.');

export const unsupportedMediaType = () =>
  new DomainError('request.unsupported_media_type', 415, 'The body must be sent as application/json.');

export const bodyTooLarge = (limitBytes: number) =>
  new DomainError('request.body_too_large', 413, `The body is larger than ${limitBytes} bytes.`);

export const routeNotFound = () => new DomainError('route.not_found', 404, 'No such route.');

export const methodNotAllowed = () =>
  new DomainError('route.method_not_allowed', 405, 'This method is not allowed on this route.');

export const userAlreadyExists = () =>
  new DomainError('user.already_exists', 409, 'An account with this email already exists.', {
    email: 'is already registered',
  });

export const invalidCredentials = () =>
  new DomainError('auth.invalid_credentials', 401, 'The email or password is incorrect.');

export const wrongPassword = (field: string) =>
  new DomainError('auth.wrong_password', 400, 'The password is incorrect.', { [field]: 'is incorrect' });

/** A signed-in session gave too many wrong passwords and has been ended; `fields` name the field at fault. */
export const tooManyWrongPasswords = (fields?: FieldMessages) =>
  new DomainError(
    'auth.too_many_wrong_passwords',
    401,
    'The password was wrong too many times; this session has been ended. Log in again.',
    fields,
  );

export const missingToken = () =>
  new DomainError('auth.missing_token', 401, 'An access token is required (Authorization: Bearer <token>).');

export const invalidToken = () =>
  new DomainError('auth.invalid_token', 401, 'The access token is not valid.');

export const tokenExpired = () => new DomainError('auth.token_expired', 401, 'The access token has expired.');

export const invalidRefreshToken = () =>
  new DomainError('auth.invalid_refresh_token', 401, 'The refresh token is not valid or has expired.');

export const refreshTokenReused = () =>
  new DomainError(
    'auth.refresh_token_reused',
    401,
    'This refresh token was already used; the session has been ended to protect the account.',
  );

export const forbidden = () => new DomainError('auth.forbidden', 403, 'You are not allowed to do this.');

export const sessionNotFound = () => new DomainError('session.not_found', 404, 'No such session.');

export const userNotFound = () => new DomainError('user.not_found', 404, 'No such user.');

/** `cause` is the driver error (or the open breaker's refusal) behind it, for the log only. */
export const databaseUnavailable = (cause?: unknown) =>
  Object.assign(
    new DomainError('db.unavailable', 503, 'The database is temporarily unavailable; try again shortly.'),
    { cause },
  );

/** Refused before any work was done, so the client may retry the same request after `Retry-After`. */
export const serviceOverloaded = (retryAfterSeconds: number) =>
  new DomainError(
    'service.overloaded',
    503,
    `The service is too busy to take this request; try again in ${retryAfterSeconds} s.`,
    undefined,
    { 'Retry-After': String(retryAfterSeconds) },
  );
