import { Box, Group, Stack, Text } from '@mantine/core';
import type { FunnelStepResult, FunnelStepSpec } from '../../api/types';
import { formatNumber, formatPercent, share } from '../../lib/format';

/** "Event signup", "Page /pricing"; the API's label (the match) when the step's kind is not known. */
export function stepName(result: FunnelStepResult, spec: FunnelStepSpec | undefined): string {
  if (!spec) return result.label;
  return `${spec.kind === 'event' ? 'Event' : 'Page'} ${result.label}`;
}

/**
 * One horizontal bar per step, as long as its share of the first step's visitors, with the
 * figures written beside it: visitors, conversion from the first step, drop-off from the previous.
 */
export function FunnelBars({ steps, specs }: { steps: FunnelStepResult[]; specs: FunnelStepSpec[] }) {
  return (
    <Stack gap="md" component="ol" p={0} m={0} style={{ listStyle: 'none' }} data-testid="funnel-bars">
      {steps.map((step, i) => {
        const previous = i > 0 ? steps[i - 1]! : null;
        const lost = previous ? share(step.dropOff, previous.visitors) : null;
        const name = stepName(step, specs[i]);
        return (
          <Box
            component="li"
            key={`${i}-${step.label}`}
            data-testid="funnel-step"
            data-visitors={step.visitors}
            data-rate={step.conversionRate}
            data-dropoff={step.dropOff}
          >
            <Group justify="space-between" gap="xs" wrap="nowrap" mb={4}>
              <Text size="sm" fw={600} truncate="end" title={name}>
                {i + 1}. {name}
              </Text>
              <Text size="sm" style={{ whiteSpace: 'nowrap' }} data-testid="funnel-step-visitors">
                {formatNumber(step.visitors)} {step.visitors === 1 ? 'visitor' : 'visitors'}
              </Text>
            </Group>
            <Box
              aria-hidden
              h={14}
              style={{ background: 'var(--mantine-color-default-border)', borderRadius: 4, overflow: 'hidden' }}
            >
              <Box
                h="100%"
                style={{
                  width: `${Math.max(0, Math.min(100, step.conversionRate))}%`,
                  background: 'var(--mantine-color-blue-filled)',
                  borderRadius: 4,
                }}
              />
            </Box>
            <Group justify="space-between" gap="xs" mt={4} wrap="wrap">
              <Text size="xs" data-testid="funnel-step-rate">
                {i === 0 ? 'Entered the funnel' : `${formatPercent(step.conversionRate)} of step 1`}
              </Text>
              {previous && (
                <Text size="xs" data-testid="funnel-step-dropoff">
                  {step.dropOff === 0
                    ? 'No drop-off'
                    : `−${formatNumber(step.dropOff)} since step ${i}${lost === null ? '' : ` (${formatPercent(lost)})`}`}
                </Text>
              )}
            </Group>
          </Box>
        );
      })}
    </Stack>
  );
}
