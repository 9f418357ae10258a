/** The two alerts every settings form shows: the form-level error, and "saved" until dismissed. */
import { Alert } from '@mantine/core';

interface Props {
  error?: string | null;
  saved: boolean;
  savedText: string;
  testId: string;
  onDismiss: () => void;
}

export function SavedAlerts({ error, saved, savedText, testId, onDismiss }: Props) {
  return (
    <>
      {error && (
        <Alert color="red" variant="light" role="alert">
          {error}
        </Alert>
      )}
      {saved && (
        <Alert
          color="teal"
          variant="light"
          data-testid={testId}
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={onDismiss}
        >
          {savedText}
        </Alert>
      )}
    </>
  );
}
