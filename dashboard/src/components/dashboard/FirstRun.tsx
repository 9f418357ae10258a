import { Alert, Anchor, Button, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useSendTestEvent } from '../../api/hooks';
import type { IngestResult } from '../../api/types';
import { useAuth } from '../../auth/context';
import { scriptTag } from '../../lib/snippet';
import { siteLabel, useCurrentSite } from '../../site/context';
import { CopyField } from '../CopyField';
import { ErrorState } from '../QueryState';

/** How often the dashboard asks whether the first event has arrived. */
export const FIRST_EVENT_POLL_MS = 3_000;

function TestEventResult({ result }: { result: IngestResult }) {
  if (result.accepted === 0) {
    return (
      <Text size="sm" c="red" data-testid="first-run-test-result">
        The test event was rejected.
      </Text>
    );
  }
  if ((result.excluded?.bot ?? 0) > 0) {
    return (
      <Text size="sm" data-testid="first-run-test-result">
        Received, but this browser identifies as a bot (a crawler or a headless browser), so it is not counted. Open
        your site in a regular browser instead.
      </Text>
    );
  }
  return (
    <Text size="sm" data-testid="first-run-test-result">
      Test event received: the dashboard opens as soon as it is counted.
    </Text>
  );
}

/**
 * A site without a single event: the script tag to paste, and a live check. The dashboard replaces
 * this view by itself when the first event is counted (DashboardPage polls the overview).
 */
export function FirstRun() {
  const { site, link } = useCurrentSite();
  const { session } = useAuth();
  const apiKey = site?.apiKey ?? session?.user.apiKey ?? null;
  const send = useSendTestEvent();
  return (
    <Card withBorder padding="lg" data-testid="first-run" component="section" aria-labelledby="first-run-title">
      <Stack gap="md" maw={760}>
        <Stack gap={4}>
          <Title order={2} size="h3" id="first-run-title">
            Waiting for the first event
          </Title>
          <Text size="sm">
            Nothing has arrived for {site ? <b>{siteLabel(site)}</b> : 'this site'} yet. Paste this into the{' '}
            <code>&lt;head&gt;</code> of every page of the site; it records page views by itself (about 2 KB, no
            cookies).
          </Text>
        </Stack>
        {apiKey && (
          <CopyField value={scriptTag(window.location.origin, apiKey)} what="script tag" block testId="script-tag" />
        )}
        <Alert color="blue" variant="light" data-testid="first-run-check">
          <Group gap="sm" wrap="nowrap">
            <Loader size="sm" aria-hidden="true" />
            <Text size="sm" role="status">
              Checking for events every {FIRST_EVENT_POLL_MS / 1000} seconds. Open a page of your site: the dashboard
              appears here by itself.
            </Text>
          </Group>
        </Alert>
        <Group gap="sm" align="center">
          <Button variant="light" onClick={() => send.mutate()} loading={send.isPending}>
            Send a test event
          </Button>
          <Anchor component={Link} to={link('/setup')} size="sm">
            More on Setup: identify users, custom events, refused events
          </Anchor>
        </Group>
        {send.isSuccess && <TestEventResult result={send.data} />}
        {send.isError && <ErrorState title="The test event was not accepted" error={send.error} />}
      </Stack>
    </Card>
  );
}
