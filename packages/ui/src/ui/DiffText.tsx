import { For, Match, Switch } from 'solid-js';
import { SegmentKind, type Segment } from '../state/diff.ts';

function gapText(text: string): string {
  const lines = text.split('\n').length - 1;
  return lines > 1 ? `⋯ ${lines} unchanged lines ⋯` : '⋯';
}

/** A text with its changes marked: additions highlighted, removals struck through. */
export function DiffText(props: { segments: readonly Segment[]; testid?: string }) {
  return (
    <pre class="diff" data-testid={props.testid}>
      <For each={props.segments}>
        {(s) => (
          <Switch fallback={<span>{s.text}</span>}>
            <Match when={s.kind === SegmentKind.added}>
              <ins>{s.text}</ins>
            </Match>
            <Match when={s.kind === SegmentKind.removed}>
              <del>{s.text}</del>
            </Match>
            <Match when={s.kind === SegmentKind.gap}>
              <span class="gap" title={`${s.text.length} characters unchanged`}>
                {'\n'}
                {gapText(s.text)}
                {'\n'}
              </span>
            </Match>
          </Switch>
        )}
      </For>
    </pre>
  );
}
