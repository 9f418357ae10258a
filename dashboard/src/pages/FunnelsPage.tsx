import {
  ActionIcon,
  Alert,
  Autocomplete,
  Button,
  Card,
  Group,
  Modal,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMemo, useState, type FormEvent } from 'react';
import { useEventsTable, usePages } from '../api/hooks';
import {
  useCreateFunnel,
  useDeleteFunnel,
  useFunnelStats,
  useFunnels,
  useUpdateFunnel,
  type FunnelSpec,
} from '../api/reports';
import type { GoalKind, SavedFunnel } from '../api/types';
import { PeriodHeader } from '../components/dashboard/PeriodHeader';
import { FunnelBars } from '../components/funnels/FunnelBars';
import { describeError, EmptyState, QueryView } from '../components/QueryState';
import { formErrors, NO_ERRORS, type FormErrors } from '../lib/formErrors';
import {
  draftProblem,
  draftStep,
  MAX_STEPS,
  MIN_STEPS,
  readySteps,
  uniqueValues,
  windowOptions,
  type DraftStep,
} from '../lib/funnels';
import { useDocumentTitle } from '../lib/title';
import { useDashboardParams } from '../lib/useDashboardParams';

const KINDS = [
  { value: 'page', label: 'Page visit' },
  { value: 'event', label: 'Event' },
];

const FIELDS = ['name', 'steps', 'window'] as const;

function freshDraft(): DraftStep[] {
  return [draftStep('page', '/'), draftStep('page', '')];
}

/** Build a funnel from steps (suggesting the site's event names and pages), chart it, save it. */
export function FunnelsPage() {
  useDocumentTitle('Funnels');
  const params = useDashboardParams();
  const { query, problem } = params;
  const funnels = useFunnels();
  const events = useEventsTable(query);
  const pages = usePages(query);
  const create = useCreateFunnel();
  const update = useUpdateFunnel();
  const remove = useDeleteFunnel();

  const [steps, setSteps] = useState<DraftStep[]>(freshDraft);
  const [within, setWithin] = useState('1d');
  const [selected, setSelected] = useState<string>('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);

  const eventNames = useMemo(() => uniqueValues((events.data ?? []).map((e) => e.eventName)), [events.data]);
  const pagePaths = useMemo(() => uniqueValues((pages.data ?? []).map((p) => p.page)), [pages.data]);

  // Typing a step asks again once the typing pauses.
  const [debouncedSteps] = useDebouncedValue(steps, 300);
  const stepProblem = draftProblem(debouncedSteps);
  const specSteps = readySteps(debouncedSteps);
  const spec: FunnelSpec | null = stepProblem || problem ? null : { steps: specSteps, window: within };
  const report = useFunnelStats(spec, query);

  const saved = funnels.data?.find((f) => f.id === selected) ?? null;

  const load = (funnel: SavedFunnel | null) => {
    setErrors(NO_ERRORS);
    setNotice(null);
    if (!funnel) {
      setSelected('');
      setSteps(freshDraft());
      setWithin('1d');
      setName('');
      return;
    }
    setSelected(funnel.id);
    setSteps(funnel.steps.map((s) => draftStep(s.kind, s.match)));
    setWithin(funnel.window);
    setName(funnel.name);
  };

  const setStep = (key: number, change: Partial<DraftStep>) =>
    setSteps((list) => list.map((s) => (s.key === key ? { ...s, ...change } : s)));

  const body = () => ({ name: name.trim(), steps: readySteps(steps), window: within });

  const save = (event: FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    setNotice(null);
    create.mutate(body(), {
      onSuccess: (f) => {
        setSelected(f.id);
        setNotice(`Funnel “${f.name}” saved.`);
      },
      onError: (err) => setErrors(formErrors(err, FIELDS)),
    });
  };

  const saveChanges = () => {
    if (!saved) return;
    setErrors(NO_ERRORS);
    setNotice(null);
    update.mutate(
      { id: saved.id, change: body() },
      {
        onSuccess: (f) => setNotice(`Funnel “${f.name}” updated.`),
        onError: (err) => setErrors(formErrors(err, FIELDS)),
      },
    );
  };

  const deleteSaved = () => {
    if (!saved) return;
    remove.mutate(saved.id, {
      onSuccess: () => {
        setConfirmDelete(false);
        load(null);
        setNotice(`Funnel “${saved.name}” deleted.`);
      },
    });
  };

  return (
    <Stack gap="md">
      <PeriodHeader title="Funnels" params={params} />
      {problem && (
        <Alert color="orange" variant="light">
          {problem}
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <Card withBorder padding="md" component="section" aria-labelledby="funnel-steps-heading">
          <Stack gap="sm">
            <Title order={2} size="h4" id="funnel-steps-heading">
              Steps
            </Title>
            <NativeSelect
              label="Saved funnel"
              data={[
                { value: '', label: 'New funnel' },
                ...(funnels.data ?? []).map((f) => ({ value: f.id, label: f.name })),
              ]}
              value={selected}
              onChange={(e) => load(funnels.data?.find((f) => f.id === e.currentTarget.value) ?? null)}
              description={funnels.isError ? `Saved funnels: ${describeError(funnels.error)}` : undefined}
            />
            <Stack gap="xs" component="ol" p={0} m={0} style={{ listStyle: 'none' }} data-testid="funnel-steps">
              {steps.map((step, i) => (
                <Group
                  key={step.key}
                  component="li"
                  gap="xs"
                  align="flex-end"
                  wrap="nowrap"
                  data-testid="funnel-step-input"
                >
                  <NativeSelect
                    label={`Step ${i + 1} kind`}
                    data={KINDS}
                    value={step.kind}
                    onChange={(e) => setStep(step.key, { kind: e.currentTarget.value as GoalKind })}
                    w={130}
                    style={{ flexShrink: 0 }}
                  />
                  <Autocomplete
                    label={`Step ${i + 1} ${step.kind === 'event' ? 'event name' : 'page path'}`}
                    placeholder={step.kind === 'event' ? 'signup' : '/pricing'}
                    data={step.kind === 'event' ? eventNames : pagePaths}
                    value={step.match}
                    onChange={(value) => setStep(step.key, { match: value })}
                    limit={20}
                    style={{ flexGrow: 1, minWidth: 0 }}
                  />
                  <ActionIcon
                    variant="subtle"
                    color="gray"
                    size="lg"
                    mb={2}
                    aria-label={`Remove step ${i + 1}`}
                    title={`Remove step ${i + 1}`}
                    disabled={steps.length <= MIN_STEPS}
                    onClick={() => setSteps((list) => list.filter((s) => s.key !== step.key))}
                  >
                    <span aria-hidden="true">✕</span>
                  </ActionIcon>
                </Group>
              ))}
            </Stack>
            <Group justify="space-between" align="flex-end">
              <Button
                variant="default"
                onClick={() => setSteps((list) => [...list, draftStep(list.at(-1)?.kind ?? 'page')])}
                disabled={steps.length >= MAX_STEPS}
              >
                Add a step
              </Button>
              <NativeSelect
                label="Within"
                description="From the first step"
                data={windowOptions(within)}
                value={within}
                onChange={(e) => setWithin(e.currentTarget.value)}
                w={160}
              />
            </Group>
            <form onSubmit={save} noValidate aria-label="Save the funnel">
              <Stack gap="xs">
                {errors.message && (
                  <Alert color="red" variant="light" role="alert" data-testid="funnel-save-error">
                    {errors.message}
                  </Alert>
                )}
                {errors.fields.steps && (
                  <Alert color="red" variant="light" role="alert">
                    {errors.fields.steps}
                  </Alert>
                )}
                {errors.fields.window && (
                  <Alert color="red" variant="light" role="alert">
                    {errors.fields.window}
                  </Alert>
                )}
                {notice && (
                  <Alert
                    color="teal"
                    variant="light"
                    data-testid="funnel-notice"
                    withCloseButton
                    closeButtonLabel="Dismiss"
                    onClose={() => setNotice(null)}
                  >
                    {notice}
                  </Alert>
                )}
                <TextInput
                  label="Funnel name"
                  placeholder="Sign-up"
                  value={name}
                  onChange={(e) => setName(e.currentTarget.value)}
                  error={errors.fields.name}
                />
                <Group justify="flex-end" gap="xs">
                  {saved && (
                    <>
                      <Button color="red" variant="subtle" onClick={() => setConfirmDelete(true)}>
                        Delete funnel
                      </Button>
                      <Button variant="default" onClick={saveChanges} loading={update.isPending}>
                        Save changes
                      </Button>
                    </>
                  )}
                  <Button type="submit" loading={create.isPending}>
                    {saved ? 'Save as new funnel' : 'Save funnel'}
                  </Button>
                </Group>
              </Stack>
            </form>
          </Stack>
        </Card>
        <Card withBorder padding="md" component="section" aria-labelledby="funnel-report-heading">
          <Title order={2} size="h4" id="funnel-report-heading" mb="sm">
            Conversion
          </Title>
          {spec === null ? (
            <Text size="sm" c="dimmed" data-testid="funnel-incomplete">
              {problem ?? stepProblem}
            </Text>
          ) : (
            <QueryView
              query={report}
              isEmpty={(d) => d.steps.length === 0}
              empty={<EmptyState>No visitor took the first step in this period</EmptyState>}
              errorTitle="Funnel"
            >
              {(data) => <FunnelBars steps={data.steps} specs={specSteps} />}
            </QueryView>
          )}
        </Card>
      </SimpleGrid>
      <Modal
        opened={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={saved ? `Delete the funnel ${saved.name}?` : ''}
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <Stack gap="md">
          <Text size="sm">The saved funnel goes; its events stay.</Text>
          {remove.isError && (
            <Alert color="red" variant="light" role="alert">
              {describeError(remove.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmDelete(false)}>
              Cancel
            </Button>
            <Button color="red" onClick={deleteSaved} loading={remove.isPending}>
              Delete funnel
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
