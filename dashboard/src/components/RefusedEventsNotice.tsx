import { Alert, Anchor } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useRefusals } from '../api/hooks';
import type { RefusalReason, Refusals } from '../api/types';
import { useCurrentSite } from '../site/context';

export const REFUSAL_LABELS: Record<RefusalReason, string> = {
  origin: 'origin not allowed',
  retired_key: 'sent with an old API key',
  rate_limited: 'over the rate limit',
  invalid: 'invalid events',
  backlog: 'server too busy',
  expired: 'older than the site keeps',
};

/** Reasons the owner fixes on the Sites page (allowed origins, the site's current key). */
const FIXED_ON_SITES: RefusalReason[] = ['origin', 'retired_key'];

export type RefusalWindow = 'lastHour' | 'last24h';

export interface RefusalSummary {
  total: number;
  window: RefusalWindow;
  /** "12 events refused in the last hour: origin not allowed" */
  text: string;
  /** The Sites page fixes (one of) the reasons. */
  fixOnSites: boolean;
}

/** What the notice says for one window, or null when nothing was refused in it. */
export function describeRefusals(counts: Refusals, window: RefusalWindow): RefusalSummary | null {
  const rows = (Object.entries(counts[window] ?? {}) as Array<[RefusalReason, number]>)
    .filter(([reason, n]) => n > 0 && reason in REFUSAL_LABELS)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const reasons =
    rows.length === 1
      ? REFUSAL_LABELS[rows[0]![0]]
      : rows.map(([reason, n]) => `${REFUSAL_LABELS[reason]} (${n.toLocaleString('en-US')})`).join(', ');
  const when = window === 'lastHour' ? 'the last hour' : 'the last 24 hours';
  return {
    total,
    window,
    text: `${total.toLocaleString('en-US')} ${total === 1 ? 'event' : 'events'} refused in ${when}: ${reasons}`,
    fixOnSites: rows.some(([reason]) => FIXED_ON_SITES.includes(reason)),
  };
}

/** Events of the current site refused at ingestion. `since`: 'lastHour' shows only when the last
 * hour had some (the dashboard); 'last24h' when the last 24 hours had some, saying the last
 * hour's numbers when there are any (Setup). Hidden while loading or when the server lacks the
 * route. */
export function RefusedEventsNotice({ since }: { since: RefusalWindow }) {
  const refusals = useRefusals();
  const { link } = useCurrentSite();
  if (!refusals.data) return null;
  const summary =
    since === 'lastHour'
      ? describeRefusals(refusals.data, 'lastHour')
      : (describeRefusals(refusals.data, 'lastHour') ?? describeRefusals(refusals.data, 'last24h'));
  if (!summary) return null;
  return (
    <Alert
      color="red"
      variant="light"
      title="Events are being refused"
      data-testid="refused-events"
      data-window={summary.window}
    >
      <span data-testid="refused-events-text">{summary.text}</span>
      {summary.fixOnSites ? (
        <>
          {' — fix it on the '}
          <Anchor component={Link} to={link('/sites')} size="sm">
            Sites page
          </Anchor>
          .
        </>
      ) : (
        '.'
      )}
    </Alert>
  );
}
