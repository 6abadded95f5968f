import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { DomainError } from '../../errors.js';
import type { EmailHasher } from '../../observability/email-hash.js';
import { withoutRefusedCharacters } from '../free-text.js';

/** The authentication events that get an audit line, one per request. */
export type AuthAuditEvent =
  | 'register'
  | 'login'
  | 'refresh'
  | 'logout'
  | 'logout_all'
  | 'password_change'
  | 'account_delete'
  | 'session_end';

/** Gives the middleware that writes the audit line of an event; mounted first on its route. */
export type AuthAudit = (event: AuthAuditEvent) => Middleware;

/** What a handler (or the error it throws) knows of whom the event concerns, beyond the principal. */
export interface AuditSubject {
  email?: string;
  userId?: string;
  sessionId?: string;
  /** A success that is not plain `ok`, such as `grace` for a refresh answered from the grace window. */
  outcome?: string;
  /** Why a failure happened, when its code alone does not say (which kind of refresh-token reuse). */
  reason?: string;
}

declare module 'koa' {
  interface DefaultState {
    audit?: AuditSubject;
  }
}

/** Adds to what the audit line of the current request says; handlers call it as they learn more. */
export function noteAuditSubject(ctx: Context, subject: AuditSubject): void {
  ctx.state.audit = { ...ctx.state.audit, ...subject };
}

/**
 * One line per authentication event (ASVS 16.2.1, 16.3.1–16.3.3): what happened and how it ended
 * (the stable error code, or `ok`), from which address and user agent, for which account (a keyed
 * hash of the email, the user and session ids where known), with the request and trace ids. Lines
 * are written at info whatever LOG_LEVEL says (only `silent` silences them), so an attack is never
 * filtered out of the record, and they hold no password, token or email address in clear. Info for
 * failures too: a wrong password is the client's doing, and warn and above mean the server's.
 */
export function authAudit(logger: Logger, hashEmail: EmailHasher): AuthAudit {
  const trail = logger.child({ audit: true }, { level: logger.level === 'silent' ? 'silent' : 'info' });
  const write = (
    ctx: Context,
    event: AuthAuditEvent,
    code: string,
    failed: boolean,
    extra?: AuditSubject,
  ) => {
    const subject = { ...ctx.state.audit, ...extra };
    const principal = ctx.state.principal;
    trail.info(
      {
        event,
        code,
        outcome: failed ? 'failure' : 'success',
        ip: ctx.ip,
        userAgent: withoutRefusedCharacters(ctx.get('User-Agent')).slice(0, 256) || undefined,
        emailHash: subject.email === undefined ? undefined : hashEmail(subject.email),
        userId: subject.userId ?? principal?.user.id,
        sessionId: subject.sessionId ?? principal?.sessionId,
        reason: subject.reason,
        requestId: ctx.state.requestId,
        traceId: ctx.state.traceId,
      },
      'auth event',
    );
  };
  return (event) => async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const known = error instanceof DomainError;
      write(ctx, event, known ? error.code : 'internal_error', true, known ? error.subject : undefined);
      throw error;
    }
    write(ctx, event, ctx.state.audit?.outcome ?? 'ok', false);
  };
}
