import { Alert, Card, NativeSelect, Stack } from '@mantine/core';
import { useSearchParams } from 'react-router-dom';
import { useRetention } from '../api/reports';
import type { RetentionUnit } from '../api/types';
import { PeriodHeader } from '../components/dashboard/PeriodHeader';
import { EmptyState, QueryView } from '../components/QueryState';
import { RetentionTable } from '../components/retention/RetentionTable';
import { UNITS } from '../lib/retention';
import { useDocumentTitle } from '../lib/title';
import { useDashboardParams } from '../lib/useDashboardParams';

/** `?unit=day|week|month` (absent: week). */
function useUnit(): [RetentionUnit, (unit: RetentionUnit) => void] {
  const [params, setParams] = useSearchParams();
  const unit = UNITS.find((u) => u.value === params.get('unit'))?.value ?? 'week';
  const setUnit = (next: RetentionUnit) =>
    setParams((p) => {
      const out = new URLSearchParams(p);
      if (next === 'week') out.delete('unit');
      else out.set('unit', next);
      return out;
    });
  return [unit, setUnit];
}

/** Cohorts of the period's visitors and how many came back, unit by unit. */
export function RetentionPage() {
  useDocumentTitle('Retention');
  const params = useDashboardParams();
  const [unit, setUnit] = useUnit();
  const retention = useRetention(unit, params.query);
  return (
    <Stack gap="md">
      <PeriodHeader title="Retention" params={params}>
        <NativeSelect
          label="Cohorts by"
          data={UNITS}
          value={unit}
          onChange={(e) => setUnit(e.currentTarget.value as RetentionUnit)}
          w={130}
        />
      </PeriodHeader>
      {params.problem ? (
        <Alert color="orange" variant="light">
          {params.problem}
        </Alert>
      ) : (
        <Card withBorder padding="md" component="section" aria-label="Retention cohorts">
          <QueryView
            query={retention}
            isEmpty={(d) => d.cohorts.length === 0}
            empty={<EmptyState>No visitors in this period</EmptyState>}
            errorTitle="Retention"
          >
            {(data) => <RetentionTable cohorts={data.cohorts} unit={unit} />}
          </QueryView>
        </Card>
      )}
    </Stack>
  );
}
