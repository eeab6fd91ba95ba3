/* @refresh reload */
import { render } from 'solid-js/web';
import { StartScreen } from '@ferry/ui';
import '@ferry/ui/styles.css';
import { boot } from './boot.ts';

const root = document.getElementById('root');
if (root) {
  root.textContent = '';
  render(() => <StartScreen start={() => boot(window)} />, root);
}
