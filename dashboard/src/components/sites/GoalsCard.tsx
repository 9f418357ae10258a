import {
  Alert,
  Button,
  Card,
  Group,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useCreateGoal, useDeleteGoal, useGoals, useUpdateGoal } from '../../api/reports';
import type { Goal, GoalKind, Site } from '../../api/types';
import { formErrors, NO_ERRORS, type FormErrors } from '../../lib/formErrors';
import { describeError, ErrorState, SkeletonRows } from '../QueryState';

const FIELDS = ['name', 'kind', 'match'] as const;

const KINDS = [
  { value: 'event', label: 'Event' },
  { value: 'page', label: 'Page visit' },
];

const MATCH_HELP: Record<GoalKind, string> = {
  event: 'The event name, as sent (like signup).',
  page: 'A page path starting with /; * matches any run of characters (/blog/*).',
};

/** Add a goal, or change `goal`. */
export function GoalForm({
  siteId,
  goal,
  onDone,
  onCancel,
}: {
  siteId: string;
  goal?: Goal;
  onDone: (goal: Goal) => void;
  onCancel?: () => void;
}) {
  const create = useCreateGoal(siteId);
  const update = useUpdateGoal(siteId);
  const [name, setName] = useState(goal?.name ?? '');
  const [kind, setKind] = useState<GoalKind>(goal?.kind ?? 'event');
  const [match, setMatch] = useState(goal?.match ?? '');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const pending = create.isPending || update.isPending;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    const body = { name: name.trim(), kind, match: match.trim() };
    const handlers = {
      onSuccess: (saved: Goal) => {
        if (!goal) {
          setName('');
          setMatch('');
        }
        onDone(saved);
      },
      onError: (err: unknown) => setErrors(formErrors(err, FIELDS)),
    };
    if (goal) update.mutate({ id: goal.id, change: body }, handlers);
    else create.mutate(body, handlers);
  };

  return (
    <form onSubmit={submit} noValidate aria-label={goal ? `Edit goal ${goal.name}` : 'Add a goal'}>
      <Stack gap="sm">
        {errors.message && (
          <Alert color="red" variant="light" role="alert" data-testid="goal-form-error">
            {errors.message}
          </Alert>
        )}
        <Group align="flex-start" grow wrap="wrap">
          <TextInput
            label="Goal name"
            placeholder="Signed up"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={errors.fields.name}
            required
            miw={160}
          />
          <NativeSelect
            label="Kind"
            data={KINDS}
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as GoalKind)}
            error={errors.fields.kind}
            miw={120}
          />
          <TextInput
            label={kind === 'event' ? 'Event name' : 'Page path'}
            description={MATCH_HELP[kind]}
            placeholder={kind === 'event' ? 'signup' : '/pricing'}
            value={match}
            onChange={(e) => setMatch(e.currentTarget.value)}
            error={errors.fields.match}
            required
            miw={160}
          />
        </Group>
        <Group justify="flex-end">
          {onCancel && (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          )}
          <Button type="submit" loading={pending}>
            {goal ? 'Save goal' : 'Add goal'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The goals of a site: listed, added, changed and removed. */
export function GoalsCard({ site }: { site: Site }) {
  const goals = useGoals(site.id);
  const remove = useDeleteGoal(site.id);
  const [editing, setEditing] = useState<Goal | null>(null);
  const [deleting, setDeleting] = useState<Goal | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const closeDelete = () => {
    setDeleting(null);
    remove.reset();
  };

  return (
    <Card withBorder padding="md" data-testid="goals-card" component="section" aria-labelledby="goals-heading">
      <Stack gap="sm">
        <Stack gap={0}>
          <Title order={3} size="h4" id="goals-heading">
            Goals
          </Title>
          <Text size="sm" c="dimmed">
            Events or page visits that count as conversions; the dashboard's Goals panel shows how many visitors reach
            them. Up to 50 per site.
          </Text>
        </Stack>
        {notice && (
          <Alert
            color="teal"
            variant="light"
            data-testid="goals-notice"
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={() => setNotice(null)}
          >
            {notice}
          </Alert>
        )}
        {goals.isPending && <SkeletonRows rows={2} />}
        {goals.isError && <ErrorState title="Goals" error={goals.error} onRetry={() => void goals.refetch()} />}
        {goals.data && goals.data.length === 0 && (
          <Text size="sm" c="dimmed" data-testid="no-goals">
            No goals yet: add the first one below.
          </Text>
        )}
        {goals.data && goals.data.length > 0 && (
          <Table verticalSpacing={4} fz="sm" data-testid="goals-list">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Matches</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {goals.data.map((g) => (
                <Table.Tr key={g.id} data-goal={g.id}>
                  <Table.Td>{g.name}</Table.Td>
                  <Table.Td>{g.kind === 'event' ? 'Event' : 'Page visit'}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{g.match}</Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        onClick={() => setEditing(g)}
                        aria-label={`Edit goal ${g.name}`}
                      >
                        Edit
                      </Button>
                      <Button
                        size="compact-sm"
                        variant="subtle"
                        color="red"
                        onClick={() => setDeleting(g)}
                        aria-label={`Delete goal ${g.name}`}
                      >
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Title order={4} size="h5">
          Add a goal
        </Title>
        <GoalForm siteId={site.id} onDone={(g) => setNotice(`Goal “${g.name}” added.`)} />
      </Stack>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing ? `Edit ${editing.name}` : ''}
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        {editing && (
          <GoalForm
            key={editing.id}
            siteId={site.id}
            goal={editing}
            onCancel={() => setEditing(null)}
            onDone={(g) => {
              setEditing(null);
              setNotice(`Goal “${g.name}” saved.`);
            }}
          />
        )}
      </Modal>
      <Modal
        opened={deleting !== null}
        onClose={closeDelete}
        title={deleting ? `Delete the goal ${deleting.name}?` : ''}
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <Stack gap="md">
          <Text size="sm">The goal leaves the dashboard's Goals panel. Its events stay.</Text>
          {remove.isError && (
            <Alert color="red" variant="light" role="alert">
              {describeError(remove.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={closeDelete}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() =>
                deleting &&
                remove.mutate(deleting.id, {
                  onSuccess: () => {
                    setNotice(`Goal “${deleting.name}” deleted.`);
                    closeDelete();
                  },
                })
              }
            >
              Delete goal
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}
