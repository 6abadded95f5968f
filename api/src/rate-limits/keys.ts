import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';

/**
 * A key as the limiters store it. Only the functions below make one, so request data (an email
 * can hold any character) never reaches Redis raw: a digest is short, safe in any key, and keeps
 * addresses and emails out of the store.
 */
export type StoreKey = string & { readonly __brand: 'StoreKey' };

const digest = (...parts: string[]): StoreKey =>
  createHash('sha256').update(JSON.stringify(parts)).digest('base64url') as StoreKey;

/** The same spelling the user lookup matches case-insensitively, so case or spaces open no new counter. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

function hextets(part: string): string[] {
  if (part === '') return [];
  // An embedded dotted IPv4 tail fills the last two hextets.
  return part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
}

/**
 * The unit one client is limited by: an IPv4 address (also when IPv4-mapped), or an IPv6 /64,
 * since one subscriber usually holds a whole /64 and could otherwise rotate through it freely.
 */
export function addressBucket(ip: string): string {
  const mapped = IPV4_MAPPED.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = (ip.split('%')[0] ?? '').toLowerCase().split('::');
  const front = hextets(head);
  const back = tail === undefined ? [] : hextets(tail);
  const full = [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  const prefix = full.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}

export const ipKey = (ip: string) => digest('ip', addressBucket(ip));

/**
 * Who is asking, for the limits on password attempts: the device when it showed a device cookie
 * valid for the account, otherwise its address.
 */
export interface PasswordClient {
  ip: string;
  deviceId?: string;
}

/** One client of one account: its own back-off and window, which no other client can run down. */
export const clientAndAccountKey = ({ ip, deviceId }: PasswordClient, email: string) =>
  deviceId === undefined
    ? digest('ip+email', addressBucket(ip), normaliseEmail(email))
    : digest('device+email', deviceId, normaliseEmail(email));

/** Keyed by the email, not the user id, so an unknown address is limited exactly like a known one. */
export const accountKey = (email: string) => digest('account', normaliseEmail(email));

export const sessionKey = (sessionId: string) => digest('session', sessionId);
