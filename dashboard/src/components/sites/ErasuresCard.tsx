import { Alert, Badge, Button, Card, Group, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useCreateErasure, useErasures } from '../../api/erasures';
import type { ErasureStatus, Site } from '../../api/types';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';
import { formatInteger, formatTimestamp } from '../../lib/format';
import { ErrorState, SkeletonRows } from '../QueryState';

const STATUS: Record<ErasureStatus, { label: string; color: string }> = {
  pending: { label: 'Waiting for earlier events', color: 'gray' },
  rebuilding: { label: 'Events erased, recounting', color: 'blue' },
  done: { label: 'Done', color: 'teal' },
};

/** Erase one visitor's events (a GDPR request), and the site's past requests. */
export function ErasuresCard({ site }: { site: Site }) {
  const erasures = useErasures(site.id);
  const create = useCreateErasure(site.id);
  const [userId, setUserId] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const ask = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    if (!userId) setErrors({ ...NO_ERRORS, fields: { userId: 'Enter the visitor’s userId' } });
    else setConfirming(true);
  };

  const erase = () => {
    create.mutate(
      { userId },
      {
        onSuccess: () => {
          setUserId('');
          setConfirming(false);
        },
        onError: (err) => {
          setConfirming(false);
          setErrors(formErrors(err, ['userId']));
        },
      },
    );
  };

  return (
    <Card withBorder padding="md" data-testid="erasures-card" component="section" aria-labelledby="erasures-heading">
      <Stack gap="sm">
        <Stack gap={0}>
          <Title order={3} size="h4" id="erasures-heading">
            Erase a visitor
          </Title>
          <Text size="sm" c="dimmed">
            For a request to be forgotten: every event of the visitor received until now is deleted, from the events
            list and exports to every number (they are recounted without it, in the background). The userId itself is
            not kept once its events are gone.
          </Text>
        </Stack>
        <form onSubmit={ask} noValidate aria-label="Erase a visitor">
          <Group align="flex-end" wrap="wrap">
            <TextInput
              label="Visitor’s userId"
              description="Exactly as your events send it."
              value={userId}
              onChange={(e) => setUserId(e.currentTarget.value)}
              error={errors.fields.userId}
              autoComplete="off"
              miw={260}
            />
            <Button type="submit" color="red" variant="light">
              Erase visitor
            </Button>
          </Group>
          {errors.message && (
            <Alert color="red" variant="light" role="alert" mt="sm" data-testid="erasure-error">
              {errors.message}
            </Alert>
          )}
        </form>
        {erasures.status === 'pending' && <SkeletonRows rows={2} />}
        {erasures.status === 'error' && (
          <ErrorState title="Erasure requests" error={erasures.error} onRetry={erasures.refetch} />
        )}
        {erasures.status === 'success' && erasures.data.length > 0 && (
          <Table data-testid="erasures-list" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Requested</Table.Th>
                <Table.Th>Visitor</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Events erased</Table.Th>
                <Table.Th>Finished</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {erasures.data.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{formatTimestamp(e.createdAt)}</Table.Td>
                  <Table.Td>{e.userId ?? <Text c="dimmed">forgotten</Text>}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS[e.status].color} variant="light">
                      {STATUS[e.status].label}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="right">{e.status === 'pending' ? '–' : formatInteger(e.eventsErased ?? 0)}</Table.Td>
                  <Table.Td>{formatTimestamp(e.finishedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
      <Modal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title="Erase this visitor?"
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <Stack gap="md">
          <Text size="sm">
            Every event of <b>{userId}</b> received until now is deleted from {site.name}. This cannot be undone.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button color="red" onClick={erase} loading={create.isPending}>
              Erase permanently
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
