import { Alert, Button, Card, Group, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useDeleteSite } from '../../api/hooks';
import type { Site } from '../../api/types';
import { describeError } from '../QueryState';

/** Deleting a site needs its name typed in; the API refuses (409) to delete the last site. */
export function DeleteSiteCard({ site, onDeleted }: { site: Site; onDeleted: (site: Site) => void }) {
  const remove = useDeleteSite();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const matches = typed.trim() === site.name.trim();

  const close = () => {
    setConfirming(false);
    setTyped('');
    remove.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    remove.mutate(site.id, {
      onSuccess: () => {
        setConfirming(false);
        onDeleted(site);
      },
    });
  };

  return (
    <Card withBorder padding="md" style={{ borderColor: 'var(--mantine-color-red-3)' }}>
      <Stack gap="sm">
        <Title order={3} size="h4">
          Delete this site
        </Title>
        <Text size="sm" c="dimmed">
          Deletes the site, its API key and every event and report of it. This cannot be undone.
        </Text>
        <Group>
          <Button color="red" variant="light" onClick={() => setConfirming(true)}>
            Delete site
          </Button>
        </Group>
      </Stack>
      <Modal
        opened={confirming}
        onClose={close}
        title={`Delete ${site.name}?`}
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <form onSubmit={submit} noValidate aria-label="Confirm deletion">
          <Stack gap="md">
            <Text size="sm">
              The site, its key and <b>all of its data</b> are deleted (the data in the background, within minutes).
              Pages still sending with its key are refused.
            </Text>
            {remove.isError && (
              <Alert color="red" variant="light" role="alert" data-testid="delete-site-error">
                {describeError(remove.error)}
              </Alert>
            )}
            <TextInput
              label={`Type “${site.name}” to confirm`}
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              autoComplete="off"
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" color="red" disabled={!matches} loading={remove.isPending}>
                Delete permanently
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Card>
  );
}
