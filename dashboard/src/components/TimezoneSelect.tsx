import { Select } from '@mantine/core';
import { useMemo } from 'react';

export function timeZones(): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

interface Props {
  value: string;
  onChange: (zone: string) => void;
  error?: string;
  label?: string;
  description?: string;
}

export function TimezoneSelect({ value, onChange, error, label = 'Time zone', description }: Props) {
  const data = useMemo(() => {
    const zones = timeZones();
    return value && !zones.includes(value) ? [value, ...zones] : zones;
  }, [value]);
  return (
    <Select
      label={label}
      description={description}
      data={data}
      value={value}
      onChange={(zone) => zone && onChange(zone)}
      searchable
      limit={50}
      nothingFoundMessage="No matching time zone"
      error={error}
      allowDeselect={false}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
