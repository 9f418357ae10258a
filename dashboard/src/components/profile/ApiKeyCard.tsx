import { Alert, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useRotateApiKey } from '../../api/hooks';
import { CopyField } from '../CopyField';
import { ErrorState } from '../QueryState';

export function ApiKeyCard({ apiKey }: { apiKey: string }) {
  const rotate = useRotateApiKey();
  const [confirming, setConfirming] = useState(false);

  return (
    <Card withBorder padding="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          API key
        </Title>
        <Text size="sm" c="dimmed">
          Your sites send events with this key (it is public by design: it only allows sending events).
        </Text>
        <CopyField value={apiKey} what="API key" testId="api-key" />
        {rotate.isSuccess && (
          <Alert color="teal" variant="light" data-testid="api-key-rotated">
            New key issued. Update the script tag on your sites: the old key no longer works.
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
        title="Rotate the API key?"
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <Stack gap="md">
          <Text size="sm">
            A new key is issued and the old key <b>stops working immediately</b>: sites still using it stop sending
            events until you update their script tag.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={rotate.isPending}
              onClick={() => rotate.mutate(undefined, { onSettled: () => setConfirming(false) })}
            >
              Rotate now
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
