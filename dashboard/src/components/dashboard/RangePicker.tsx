import { Button, Group, Select, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { isIsoDay, PRESETS, resolveRange, type DateRange } from '../../lib/dateRange';

interface Props {
  range: DateRange;
  today: string;
  onChange: (range: DateRange) => void;
}

const OPTIONS = [...PRESETS.map((p) => ({ value: p.id, label: p.label })), { value: 'custom', label: 'Custom range' }];

export function RangePicker({ range, today, onChange }: Props) {
  const resolved = resolveRange(range, today);
  const [custom, setCustom] = useState(range.kind === 'custom');
  const [from, setFrom] = useState(resolved.from);
  const [to, setTo] = useState(resolved.to);

  // Follow the URL (back/forward, links).
  useEffect(() => {
    setCustom(range.kind === 'custom');
    setFrom(resolved.from);
    setTo(resolved.to);
  }, [range.kind, resolved.from, resolved.to]);

  const valid = isIsoDay(from) && isIsoDay(to) && from <= to;
  return (
    <Group gap="xs" align="flex-end" wrap="wrap">
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
      />
      {custom && (
        <>
          <TextInput
            type="date"
            label="From"
            value={from}
            max={to || undefined}
            onChange={(e) => setFrom(e.currentTarget.value)}
            w={160}
          />
          <TextInput
            type="date"
            label="To"
            value={to}
            min={from || undefined}
            onChange={(e) => setTo(e.currentTarget.value)}
            w={160}
          />
          <Button
            disabled={!valid}
            onClick={() => onChange({ kind: 'custom', from, to })}
            aria-label="Apply custom range"
          >
            Apply
          </Button>
        </>
      )}
    </Group>
  );
}
