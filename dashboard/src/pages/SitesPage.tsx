import { Alert, Anchor, Button, Card, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { Site } from '../api/types';
import { ErrorState, SkeletonRows } from '../components/QueryState';
import { AddSiteForm } from '../components/sites/AddSiteForm';
import { DeleteSiteCard } from '../components/sites/DeleteSiteCard';
import { ErasuresCard } from '../components/sites/ErasuresCard';
import { GoalsCard } from '../components/sites/GoalsCard';
import { SiteForm } from '../components/sites/SiteForm';
import { SiteKeyCard } from '../components/sites/SiteKeyCard';
import { SiteList } from '../components/sites/SiteList';
import { useDocumentTitle } from '../lib/title';
import { useCurrentSite, withSiteParam } from '../site/context';

/** The account's sites; the current one (`?site=`) can be edited, re-keyed or deleted here. */
export function SitesPage() {
  useDocumentTitle('Sites');
  const { site, sites, status, error, refetch, selectSite } = useCurrentSite();
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<ReactNode>(null);

  const created = (s: Site) => {
    setAdding(false);
    selectSite(s.id);
    setNotice(
      <>
        Site “{s.name}” added. Put its script tag on its pages:{' '}
        <Anchor component={Link} to={withSiteParam('/setup', s.id)}>
          set up {s.name}
        </Anchor>
        .
      </>,
    );
  };

  // The deleted site's id leaves the URL by itself: the SiteProvider falls back to the first site.
  const deleted = (s: Site) => {
    setNotice(`Site “${s.name}” deleted. Its data is being removed in the background.`);
  };

  return (
    <Stack gap="md" maw={960}>
      <Group justify="space-between" align="flex-end">
        <Title order={1} size="h2">
          Sites
        </Title>
        <Button onClick={() => setAdding(true)} disabled={status !== 'success'}>
          Add a site
        </Button>
      </Group>
      {notice && (
        <Alert
          color="teal"
          variant="light"
          data-testid="sites-notice"
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setNotice(null)}
        >
          {notice}
        </Alert>
      )}
      <Card withBorder padding="md">
        {status === 'pending' && <SkeletonRows rows={3} />}
        {status === 'error' && <ErrorState title="Sites" error={error} onRetry={refetch} />}
        {status === 'success' && <SiteList sites={sites} currentId={site?.id ?? null} onManage={selectSite} />}
      </Card>
      {site && (
        <Stack gap="md" data-testid="site-settings">
          <Stack gap={0}>
            <Title order={2} size="h3">
              {site.name}
            </Title>
            <Text size="sm" c="dimmed">
              Settings of the current site. Pick another one above or in the header.
            </Text>
          </Stack>
          <SiteForm key={`form-${site.id}`} site={site} />
          <SiteKeyCard key={`key-${site.id}`} site={site} />
          <GoalsCard key={`goals-${site.id}`} site={site} />
          <ErasuresCard key={`erasures-${site.id}`} site={site} />
          <DeleteSiteCard key={`delete-${site.id}`} site={site} onDeleted={deleted} />
        </Stack>
      )}
      <Modal
        opened={adding}
        onClose={() => setAdding(false)}
        title="Add a site"
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <AddSiteForm onCreated={created} onCancel={() => setAdding(false)} />
      </Modal>
    </Stack>
  );
}
