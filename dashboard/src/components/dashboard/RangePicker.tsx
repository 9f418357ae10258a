import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { useEffect, useId, useState } from 'react';
import { isIsoDay, PRESETS, rangeProblem, resolveRange, type DateRange } from '../../lib/dateRange';

interface Props {
  range: DateRange;
  today: string;
  onChange: (range: DateRange) => void;
  /** Move to the period before (-1) or after (+1). */
  onShift: (step: -1 | 1) => void;
  /** False when the period includes today: there is nothing after it yet. */
  canNext: boolean;
  /** False for All time: there is nothing before it. */
  canPrevious?: boolean;
}

const OPTIONS = [...PRESETS.map((p) => ({ value: p.id, label: p.label })), { value: 'custom', label: 'Custom range' }];

/** "d today · e yesterday · …": the shortcuts, for the picker's description. */
export const SHORTCUTS_HINT = [
  ...PRESETS.filter((p) => p.key).map((p) => `${p.key} ${p.label.toLowerCase()}`),
  '← → previous / next',
].join(' · ');

function Arrow({ direction }: { direction: 'left' | 'right' }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path
        d={direction === 'left' ? 'M10 3 L5 8 L10 13' : 'M6 3 L11 8 L6 13'}
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export function RangePicker({ range, today, onChange, onShift, canNext, canPrevious = true }: Props) {
  const resolved = resolveRange(range, today);
  const [custom, setCustom] = useState(range.kind === 'custom');
  const [from, setFrom] = useState(resolved.from);
  const [to, setTo] = useState(resolved.to);
  const messageId = useId();

  // Follow the URL (back/forward, links, arrows, shortcuts).
  useEffect(() => {
    setCustom(range.kind === 'custom');
    setFrom(resolved.from);
    setTo(resolved.to);
  }, [range.kind, resolved.from, resolved.to]);

  const complete = isIsoDay(from) && isIsoDay(to);
  const ordered = complete && from <= to;
  const problem = !custom
    ? null
    : !complete
      ? null
      : !ordered
        ? 'The start must not be after the end.'
        : rangeProblem({ from, to });

  return (
    <Stack gap={4} data-testid="range-picker">
      <Group gap="xs" align="flex-end" wrap="wrap">
        <Group gap={4} align="flex-end" wrap="nowrap">
          <ActionIcon
            variant="default"
            size="input-sm"
            onClick={() => onShift(-1)}
            disabled={!canPrevious}
            aria-label="Previous period"
            aria-keyshortcuts="ArrowLeft"
            title={canPrevious ? 'Previous period (←)' : 'Previous period (←): this period is all time'}
          >
            <Arrow direction="left" />
          </ActionIcon>
          <Select
            label="Period"
            data={OPTIONS}
            value={custom ? 'custom' : range.kind === 'preset' ? range.preset : 'custom'}
            onChange={(value) => {
              if (!value) return;
              if (value === 'custom') {
                setCustom(true);
                return;
              }
              setCustom(false);
              onChange({ kind: 'preset', preset: value as (typeof PRESETS)[number]['id'] });
            }}
            allowDeselect={false}
            w={170}
            title={`Shortcuts: ${SHORTCUTS_HINT}`}
          />
          <ActionIcon
            variant="default"
            size="input-sm"
            onClick={() => onShift(1)}
            disabled={!canNext}
            aria-label="Next period"
            aria-keyshortcuts="ArrowRight"
            title={canNext ? 'Next period (→)' : 'Next period (→): this period includes today'}
          >
            <Arrow direction="right" />
          </ActionIcon>
        </Group>
        {custom && (
          <>
            <TextInput
              type="date"
              label="From"
              value={from}
              max={today}
              onChange={(e) => setFrom(e.currentTarget.value)}
              w={160}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? messageId : undefined}
            />
            <TextInput
              type="date"
              label="To"
              value={to}
              min={from || undefined}
              onChange={(e) => setTo(e.currentTarget.value)}
              w={160}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? messageId : undefined}
            />
            <Button
              disabled={!ordered || problem !== null}
              onClick={() => onChange({ kind: 'custom', from, to })}
              aria-label="Apply custom range"
            >
              Apply
            </Button>
          </>
        )}
      </Group>
      {problem && (
        <Text id={messageId} size="sm" c="red" role="alert" data-testid="range-problem" maw={560}>
          {problem}
        </Text>
      )}
    </Stack>
  );
}
