import type { SyncStatus } from '@ferry/client';
import { describeSync } from '../state/sync-label.ts';

/** The always-visible sync badge with its "sync now" action. */
export function SyncIndicator(props: { status: SyncStatus; onSyncNow: () => void }) {
  const label = () => describeSync(props.status);
  return (
    <div class="sync">
      <span
        class={`badge badge-${label().tone}`}
        data-testid="sync-indicator"
        data-state={label().tone}
        title={label().detail}
        role="status"
      >
        <span class="dot" aria-hidden="true" />
        {label().text}
      </span>
      <button
        class="ghost"
        data-testid="sync-now"
        onClick={() => props.onSyncNow()}
        title="Sync now (Ctrl+S)"
        aria-label="Sync now"
        disabled={props.status.state === 'syncing'}
      >
        <span aria-hidden="true">⟳</span>
        <span class="sync-label"> Sync now</span>
      </button>
    </div>
  );
}
