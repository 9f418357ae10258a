import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useFirstEvent, useMe, useSendTestEvent } from '../api/hooks';
import { CopyField } from '../components/CopyField';
import { describeError, ErrorState, SkeletonRows } from '../components/QueryState';
import { formatTimestamp } from '../lib/format';
import { scriptTag } from '../lib/snippet';
import { useDocumentTitle } from '../lib/title';
import { siteLabel, useCurrentSite } from '../site/context';

const IDENTIFY = "window.__trk.identify('user-123')";
const TRACK = "window.__trk.track('signup', {plan: 'pro'})";

function FirstEventCheck() {
  const first = useFirstEvent();
  const latest = first.data?.items[0];
  if (latest) {
    return (
      <Alert color="teal" variant="light" title="Events are arriving" data-testid="first-event" data-state="received">
        Latest: <b>{latest.eventName ?? 'event'}</b> at {formatTimestamp(latest.eventTime)}
        {latest.page ? ` on ${latest.page}` : ''}
      </Alert>
    );
  }
  if (first.isError) {
    return (
      <Alert color="orange" variant="light" title="Cannot check for events yet" data-testid="first-event" data-state="error">
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

function TestEventButton({ apiKey }: { apiKey: string }) {
  const send = useSendTestEvent();
  return (
    <Stack gap="xs">
      <Group>
        <Button onClick={() => send.mutate(apiKey)} loading={send.isPending} variant="light">
          Send a test event
        </Button>
      </Group>
      {send.isSuccess && (
        <Alert color={send.data.accepted > 0 ? 'teal' : 'orange'} variant="light" data-testid="test-event-result">
          {send.data.accepted > 0
            ? 'Test event accepted. It shows up above within a few seconds.'
            : `The test event was rejected: ${JSON.stringify(send.data.rejected)}`}
        </Alert>
      )}
      {send.isError && (
        <div data-testid="test-event-result">
          <ErrorState title="The test event was not accepted" error={send.error} />
        </div>
      )}
    </Stack>
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
                Paste this into the <code>&lt;head&gt;</code> of {site ? <b>{site.domain ?? site.name}</b> : 'your site'}. It
                records page views automatically (about 2 KB, no cookies).
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
              <FirstEventCheck />
              <TestEventButton apiKey={apiKey} />
            </Stack>
          </Card>
        </>
      )}
    </Stack>
  );
}
