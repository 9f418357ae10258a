/** Payload shapes of the public API (see API.md). */

export interface User {
  id: string;
  name: string;
  email: string;
  apiKey: string;
  timezone: string;
  allowedOrigins: string[];
  createdAt: string;
  updatedAt: string | null;
}

/** A tracked site of the account; the first one (oldest) is what `user.apiKey`/`timezone` describe. */
export interface Site {
  id: string;
  name: string;
  /** Host name, lower-cased, without scheme, port or `www.`; null until set. */
  domain: string | null;
  apiKey: string;
  timezone: string;
  allowedOrigins: string[];
  createdAt: string;
  updatedAt: string | null;
}

export interface SessionPayload {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresOn: string;
}

export interface Overview {
  eventsRecorded: { today: number; thisMonth: number; lifetime?: number };
  activeUsers: { today: number; thisMonth: number };
}

export interface DailyPoint {
  day: string;
  events: number;
  pageviews: number;
  users: number;
  sessions: number;
}

export interface EventRow {
  eventName: string;
  count: number;
  users: number;
  sessions: number;
}

export interface PageRow {
  page: string;
  count: number;
  users: number;
  sessions: number;
}

export interface SummaryValues {
  visitors: number;
  sessions: number;
  pageviews: number;
  events: number;
  bounceRate: number;
  avgSessionDuration: number;
  viewsPerSession: number;
}

export interface Summary extends SummaryValues {
  previous: SummaryValues | null;
}

export interface BreakdownRow {
  value: string | null;
  count: number;
  visitors: number;
}

export interface Realtime {
  visitors: number;
  perMinute: Array<{ minute: string | number; events: number }>;
}

/** An event as stored (the explorer and the live feed). */
export interface StoredEvent {
  id?: string;
  eventId?: string;
  sessionId?: string;
  userId?: string;
  eventTime?: number | string;
  eventName?: string;
  page?: string;
  referrer?: string;
  browser?: string;
  os?: string;
  device?: string;
  country?: string;
  context?: Record<string, unknown> | null;
  [field: string]: unknown;
}

export interface EventsPage {
  items: StoredEvent[];
  nextCursor: string | null;
}

export interface IngestResult {
  accepted: number;
  rejected: Array<{ index: number; errors: Record<string, unknown> }>;
  /** Accepted but left out of every number, by reason (`{bot: 1}`); `{}` when none. */
  excluded?: Record<string, number>;
}

export type BreakdownDimension =
  | 'page'
  | 'entryPage'
  | 'exitPage'
  | 'referrer'
  | 'referrerDomain'
  | 'utmSource'
  | 'utmMedium'
  | 'utmCampaign'
  | 'browser'
  | 'os'
  | 'device'
  | 'country'
  | 'eventName';

/** Why ingestion refused events (GET /api/v1/stats/refused). */
export type RefusalReason = 'retired_key' | 'origin' | 'rate_limited' | 'invalid' | 'backlog';

/** Events of the site refused at ingestion, by reason, over the last 60 minutes and 24 hours. */
export interface Refusals {
  lastHour: Partial<Record<RefusalReason, number>>;
  last24h: Partial<Record<RefusalReason, number>>;
}
