import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { eventSearchParams, useFirstEvent, useMe, useSendTestEvent } from '../api/hooks';
import type { EventsPage, IngestResult } from '../api/types';
import { useApi } from '../auth/context';
import { CopyField } from '../components/CopyField';
import { RefusedEventsNotice } from '../components/RefusedEventsNotice';
import { describeError, ErrorState, SkeletonRows } from '../components/QueryState';
import { formatTimestamp } from '../lib/format';
import { scriptTag } from '../lib/snippet';
import { useDocumentTitle } from '../lib/title';
import { siteLabel, useCurrentSite } from '../site/context';

const IDENTIFY = "window.__trk.identify('user-123')";
const TRACK = "window.__trk.track('signup', {plan: 'pro'})";

/** How many of the site's latest events the arrival counts look at. */
const ARRIVALS_LIMIT = 100;

export interface Arrivals {
  received: number;
  bots: number;
  /** More than ARRIVALS_LIMIT events (or bot events) arrived: the counts are lower bounds. */
  more: boolean;
  botsMore: boolean;
}

/** Events of the current site, and those flagged as bots (stored, never counted), from the
 * explorer: its `bot` filter is the stored flag itself. Refreshed after each test event. */
function useArrivals(enabled: boolean) {
  const api = useApi();
  const { siteId, ready } = useCurrentSite();
  return useQuery({
    queryKey: ['events', 'first', 'arrivals', siteId],
    enabled: enabled && ready,
    queryFn: async ({ signal }): Promise<Arrivals> => {
      const list = (extra: Record<string, string>) =>
        api.request<EventsPage>(
          `/api/v1/events?${eventSearchParams({}, { site: siteId, limit: ARRIVALS_LIMIT, ...extra })}`,
          {
            signal,
          },
        );
      const [all, bots] = await Promise.all([list({}), list({ filter: 'bot:true' })]);
      return {
        received: all.items.length,
        bots: bots.items.length,
        more: Boolean(all.nextCursor),
        botsMore: Boolean(bots.nextCursor),
      };
    },
    refetchInterval: 10_000,
    retry: false,
  });
}

/** "3 received, 1 from a bot (not counted)". */
export function describeArrivals({ received, bots, more, botsMore }: Arrivals): string {
  const total = `${received}${more ? '+' : ''} received`;
  if (bots === 0) return total;
  if (bots >= received && !more) return `${total}, ${received === 1 ? 'from a bot' : 'all from bots'} (not counted)`;
  const one = bots === 1 && !botsMore;
  return `${total}, ${bots}${botsMore ? '+' : ''} from ${one ? 'a bot' : 'bots'} (not counted)`;
}

function FirstEventCheck() {
  const first = useFirstEvent();
  const latest = first.data?.items[0];
  const arrivals = useArrivals(Boolean(latest));
  if (latest) {
    const counts = arrivals.data;
    const onlyBots = counts !== undefined && counts.bots > 0 && counts.bots >= counts.received && !counts.more;
    return (
      <Alert
        color={onlyBots ? 'orange' : 'teal'}
        variant="light"
        title={onlyBots ? 'Events are arriving, but none is counted' : 'Events are arriving'}
        data-testid="first-event"
        data-state="received"
        data-bots={counts?.bots}
      >
        {counts && <span data-testid="first-event-counts">{describeArrivals(counts)}. </span>}
        Latest: <b>{latest.eventName ?? 'event'}</b> at {formatTimestamp(latest.eventTime)}
        {latest.page ? ` on ${latest.page}` : ''}
        {counts && counts.bots > 0 && (
          <Text size="sm" mt={4} data-testid="bot-note">
            Events from crawlers and headless or automated browsers (HeadlessChrome, PhantomJS, Puppeteer, Playwright…)
            are stored but left out of every number. Open the page in a regular browser to see it counted.
          </Text>
        )}
      </Alert>
    );
  }
  if (first.isError) {
    return (
      <Alert
        color="orange"
        variant="light"
        title="Cannot check for events yet"
        data-testid="first-event"
        data-state="error"
      >
        {describeError(first.error)} Checking again every 15 seconds.
      </Alert>
    );
  }
  return (
    <Alert color="blue" variant="light" data-testid="first-event" data-state="waiting">
      <Group gap="sm" wrap="nowrap">
        <Loader size="sm" aria-label="Waiting" />
        <Text size="sm">Waiting for your first event… this checks every 3 seconds.</Text>
      </Group>
    </Alert>
  );
}

/** The ingest answer: accepted, and whether what was accepted will be counted. */
function TestEventResult({ result }: { result: IngestResult }) {
  const bots = result.excluded?.bot ?? 0;
  if (result.accepted === 0) {
    return (
      <Alert color="orange" variant="light" data-testid="test-event-result">
        {`The test event was rejected: ${JSON.stringify(result.rejected)}`}
      </Alert>
    );
  }
  if (bots > 0) {
    return (
      <Alert color="orange" variant="light" data-testid="test-event-result" data-excluded-bot={bots}>
        Test event accepted, but this browser's user agent is a bot's (a crawler or a headless browser): it is stored
        and shows up above, and it is not counted in any number.
      </Alert>
    );
  }
  return (
    <Alert color="teal" variant="light" data-testid="test-event-result">
      Test event accepted. It shows up above within a few seconds.
    </Alert>
  );
}

function TestEventButton() {
  const send = useSendTestEvent();
  return (
    <Stack gap="xs">
      <Group>
        <Button onClick={() => send.mutate()} loading={send.isPending} variant="light">
          Send a test event
        </Button>
      </Group>
      {send.isSuccess && <TestEventResult result={send.data} />}
      {send.isError && (
        <div data-testid="test-event-result">
          <ErrorState title="The test event was not accepted" error={send.error} />
        </div>
      )}
    </Stack>
  );
}

/** The one-line changes that point a tracker a site already runs here (the drop-in routes). */
export function dropInLines(origin: string, site: { id: string; domain: string | null; apiKey: string }) {
  const domain = site.domain ?? 'YOUR-DOMAIN';
  return {
    plausible: `<script defer data-domain="${domain}" src="${origin}/js/script.js"></script>`,
    plausibleNpm: `init({ domain: '${domain}', endpoint: '${origin}/api/event' })`,
    umami: `<script defer src="${origin}/script.js" data-website-id="${site.id}"></script>`,
    umamiOwn: `data-website-id="${site.id}" data-host-url="${origin}"`,
    seed: `${origin}/api/tracking-service/v1/public/events/`,
  };
}

/** "Already using Plausible / Umami / the old snippet?": change one line, keep the rest. */
function DropInCard({ site }: { site: { id: string; domain: string | null; apiKey: string } }) {
  const { link } = useCurrentSite();
  const lines = dropInLines(window.location.origin, site);
  return (
    <Card withBorder padding="md" data-testid="drop-in">
      <Stack gap="sm">
        <Title order={2} size="h4">
          Already using Plausible, Umami or the old snippet?
        </Title>
        <Text size="sm">
          Keep your tag and change one line: events land in this site, with the same validation, bot filtering and
          guarantees as the script above.
        </Text>
        {!site.domain && (
          <Text size="sm" c="orange" data-testid="drop-in-no-domain">
            Plausible's tags name the site by its domain: set this site's domain on the{' '}
            <Anchor component={Link} to={link('/sites')} size="sm">
              Sites page
            </Anchor>{' '}
            first.
          </Text>
        )}
        <CopyField
          label="Plausible: point the script's src here (data-domain stays)"
          value={lines.plausible}
          what="Plausible tag"
          block
          testId="drop-in-plausible"
        />
        <CopyField
          label="Plausible from npm (@plausible-analytics/tracker): set the endpoint"
          value={lines.plausibleNpm}
          what="Plausible init"
          block
        />
        <CopyField
          label="Umami: point the script's src here, with this site's id as the website id"
          value={lines.umami}
          what="Umami tag"
          block
          testId="drop-in-umami"
        />
        <CopyField
          label="Or keep Umami's own script, with these attributes"
          value={lines.umamiOwn}
          what="Umami attributes"
          block
        />
        <CopyField
          label="The old inline snippet: post to this URL (its API key is this site's)"
          value={lines.seed}
          what="old snippet URL"
          block
          testId="drop-in-seed"
        />
      </Stack>
    </Card>
  );
}

/** The key the snippet shows: the current site's; on an API without sites, `user.apiKey`. */
function useSnippetKey(): { apiKey: string | null; loading: boolean; error: unknown; retry: () => void } {
  const { site, ready, refetch } = useCurrentSite();
  const me = useMe();
  if (site) return { apiKey: site.apiKey, loading: false, error: null, retry: refetch };
  if (!ready) return { apiKey: null, loading: true, error: null, retry: refetch };
  if (me.data) return { apiKey: me.data.apiKey, loading: false, error: null, retry: refetch };
  return { apiKey: null, loading: me.isPending, error: me.error, retry: () => void me.refetch() };
}

export function SetupPage() {
  useDocumentTitle('Setup');
  const { site, sites, link } = useCurrentSite();
  const { apiKey, loading, error, retry } = useSnippetKey();
  const origin = window.location.origin;

  return (
    <Stack gap="md" maw={860}>
      <Stack gap={0}>
        <Title order={1} size="h2">
          Set up tracking
        </Title>
        {site && (
          <Text size="sm" c="dimmed" data-testid="setup-site">
            For {siteLabel(site)}
            {sites.length > 1 ? ' · switch sites in the header to set up another one' : ''} ·{' '}
            <Anchor component={Link} to={link('/sites')} size="sm">
              Manage sites
            </Anchor>
          </Text>
        )}
      </Stack>
      {loading && <SkeletonRows rows={3} />}
      {error ? <ErrorState error={error} onRetry={retry} /> : null}
      {apiKey && (
        <>
          <Card withBorder padding="md">
            <Stack gap="sm">
              <Title order={2} size="h4">
                1. Add the script to every page
              </Title>
              <Text size="sm">
                Paste this into the <code>&lt;head&gt;</code> of{' '}
                {site ? <b>{site.domain ?? site.name}</b> : 'your site'}. It records page views automatically (about 2
                KB, no cookies).
              </Text>
              <CopyField value={scriptTag(origin, apiKey)} what="script tag" block testId="script-tag" />
            </Stack>
          </Card>
          <Card withBorder padding="md">
            <Stack gap="sm">
              <Title order={2} size="h4">
                2. Optional: identify users and track custom events
              </Title>
              <CopyField label="Identify a signed-in user" value={IDENTIFY} what="identify example" block />
              <CopyField label="Track a custom event with properties" value={TRACK} what="custom event example" block />
            </Stack>
          </Card>
          <Card withBorder padding="md">
            <Stack gap="sm">
              <Title order={2} size="h4">
                3. Check that it works
              </Title>
              <RefusedEventsNotice since="last24h" />
              <FirstEventCheck />
              <TestEventButton />
            </Stack>
          </Card>
          {site && <DropInCard site={site} />}
        </>
      )}
    </Stack>
  );
}
