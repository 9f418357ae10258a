import { Alert, Anchor, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useRotateSiteKey } from '../../api/hooks';
import type { Site } from '../../api/types';
import { scriptTag } from '../../lib/snippet';
import { withSiteParam } from '../../site/context';
import { CopyField } from '../CopyField';
import { ErrorState } from '../QueryState';

/** The site's API key and script tag, and key rotation behind a confirmation. */
export function SiteKeyCard({ site }: { site: Site }) {
  const rotate = useRotateSiteKey();
  const [confirming, setConfirming] = useState(false);

  return (
    <Card withBorder padding="md">
      <Stack gap="sm">
        <Title order={3} size="h4">
          API key and script tag
        </Title>
        <Text size="sm" c="dimmed">
          This site sends events with this key (it is public by design: it only allows sending events).
        </Text>
        <CopyField value={site.apiKey} what="API key" testId="api-key" />
        <CopyField
          label="Script tag"
          value={scriptTag(window.location.origin, site.apiKey)}
          what="script tag"
          block
          testId="site-script-tag"
        />
        <Text size="sm">
          <Anchor component={Link} to={withSiteParam('/setup', site.id)}>
            Setup guide for {site.name}
          </Anchor>{' '}
          (custom events, and a check that events arrive)
        </Text>
        {rotate.isSuccess && (
          <Alert color="teal" variant="light" data-testid="api-key-rotated">
            New key issued. Update the script tag on this site: the old key no longer works.
          </Alert>
        )}
        {rotate.isError && <ErrorState title="Could not rotate the key" error={rotate.error} />}
        <Group>
          <Button color="red" variant="light" onClick={() => setConfirming(true)}>
            Rotate key
          </Button>
        </Group>
      </Stack>
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title={`Rotate the API key of ${site.name}?`}
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <Stack gap="md">
          <Text size="sm">
            A new key is issued and the old key <b>stops working immediately</b>: pages still using it stop sending
            events until you update their script tag.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={rotate.isPending}
              onClick={() => rotate.mutate(site.id, { onSettled: () => setConfirming(false) })}
            >
              Rotate now
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
