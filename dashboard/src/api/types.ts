/**
 * Payload shapes of the public API (see API.md), derived from `schema.gen.ts`: the types
 * openapi-typescript generates from the public OpenAPI document (`make types` regenerates it;
 * `make test` fails when it no longer matches the services' response models).
 */
import type { components } from './schema.gen';

type Schemas = components['schemas'];

export type User = Schemas['UserOut'];

/** A tracked site of the account; the first one (oldest) is what `user.apiKey`/`timezone` describe. */
export type Site = Schemas['SiteOut'];

export type SessionPayload = Schemas['SessionOut'];

export type Overview = Schemas['Overview'];

export type DailyPoint = Schemas['DailyPoint'];

export type TimePoint = Schemas['TimePoint'];

export type EventRow = Schemas['EventRow'];

export type PageRow = Schemas['PageRow'];

export type SummaryValues = Schemas['SummaryNumbers'];

export type Summary = Schemas['Summary'];

export type BreakdownRow = Schemas['BreakdownRow'];

export type Realtime = Schemas['Realtime'];

/** An event as stored, as the explorer returns it: every column, null where the event has none. */
export type ExplorerEvent = Schemas['StoredEvent'];

/**
 * An event as stored, from the explorer (an `ExplorerEvent`) or the live feed, whose messages
 * carry a subset of the columns (the SSE payload is not described by the OpenAPI document).
 */
export type StoredEvent = Partial<ExplorerEvent> & { [field: string]: unknown };

export type EventsPage = Schemas['EventsPage'];

export type IngestResult = Schemas['IngestResult'];

export type BreakdownDimension =
  | 'page'
  | 'entryPage'
  | 'exitPage'
  | 'channel'
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
export type RefusalReason = 'retired_key' | 'origin' | 'rate_limited' | 'invalid' | 'backlog' | 'expired';

/** Events of the site refused at ingestion, by reason, over the last 60 minutes and 24 hours. */
export type Refusals = { [K in keyof Schemas['Refused']]: Partial<Record<RefusalReason, number>> };

/** A goal of a site: an event name, or a page path where `*` matches any run of characters. */
export type Goal = Schemas['Goal'];

export type GoalKind = Goal['kind'];

export type NewGoal = Schemas['GoalIn'];

export type GoalChange = Schemas['GoalPatch'];

/** One goal's visitors, conversions and conversion rate (percent) over the period. */
export type GoalStat = Schemas['GoalStat'];

/** One step of a funnel: an event name or a page path (`*` matching any run of characters). */
export type FunnelStepSpec = Schemas['FunnelStepIn'];

/** A saved funnel. */
export type SavedFunnel = Schemas['Funnel'];

export type NewFunnel = Schemas['FunnelIn'];

export type FunnelChange = Schemas['FunnelPatch'];

/** One step's answer: visitors, conversion rate from the first step (percent), visitors lost since the previous. */
export type FunnelStepResult = Schemas['FunnelStep'];

export type FunnelResult = Schemas['FunnelReport'];

export type RetentionUnit = 'day' | 'week' | 'month';

export type Cohort = Schemas['Cohort'];

export type Retention = Schemas['Retention'];

/** A request to erase one visitor's events (GDPR), and how far it got. */
export type Erasure = Schemas['Erasure'];

export type ErasureStatus = Erasure['status'];

export type NewErasure = Schemas['ErasureIn'];
